import { z } from 'zod';
import { EmailSendInput } from '@mayfly/contracts';
import type { Services } from '../../../trpc/context.ts';
import { enqueueEmail } from '../../email/index.ts';
import type { BotHandler } from './handler.ts';

/** What BOTS keeps of an e-mail task: the queued mail's id, never its recipient or content. */
const MailReference = z.object({ message_id: z.uuid() });
type MailReference = z.infer<typeof MailReference>;

/**
 * `email`: takes the `email.send` fields and outputs the queued mail's id. The mail is queued
 * in OUTBOX when the task is accepted, so its recipient, subject and body live only there,
 * until the mailer has sent it; the task in BOTS holds its id.
 */
export function emailHandler(s: Services): BotHandler<EmailSendInput, MailReference> {
  return {
    name: 'email',
    context: EmailSendInput,
    example: { to: 'ada@example.com', subject: 'Hello', text: 'Hello Ada' },
    async keep(input, ctx) {
      const queued = await enqueueEmail(s, ctx.tenant, input);
      return { message_id: queued.id };
    },
    kept: MailReference,
    async run(reference) {
      return reference;
    },
  };
}
