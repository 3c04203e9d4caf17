import { EmailQueued, EmailSendInput } from '@mayfly/contracts';
import { router, tenantProcedure } from '../../trpc/trpc.ts';
import { queueEmail } from './queue.ts';

const tags = ['email'];

/** The email router: queue a mail for the mailer. */
export const emailRouter = router({
  send: tenantProcedure
    .meta({ openapi: { method: 'POST', path: '/email/send', tags, summary: 'Queue an e-mail (text, html or a SendGrid template)', protect: false } })
    .input(EmailSendInput)
    .output(EmailQueued)
    .mutation(({ ctx, input }) => queueEmail(ctx.services, ctx.tenant, input)),
});
