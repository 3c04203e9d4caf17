import { EmailSendInput } from '@mayfly/contracts';
import type { Services } from '../../../trpc/context.ts';
import { enqueueEmail } from '../../email/index.ts';
import type { BotHandler } from './handler.ts';

/** `email`: takes the `email.send` fields, queues the mail through the e-mail module, outputs its id. */
export function emailHandler(s: Services): BotHandler<EmailSendInput> {
  return {
    name: 'email',
    context: EmailSendInput,
    example: { to: 'ada@example.com', subject: 'Hello', text: 'Hello Ada' },
    async run(input, ctx) {
      const queued = await enqueueEmail(s, ctx.tenant, input);
      return { message_id: queued.id };
    },
  };
}
