import { emailSubject, type EmailQueued, type EmailSendInput } from '@mayfly/contracts';
import type { Services } from '../../trpc/context.ts';
import { newId } from '../../platform/events/ids.ts';
import { newEvent } from '../../platform/events/publisher.ts';

/**
 * Queues one mail: an `email.requested` event in OUTBOX, which the mailer takes from there.
 * The PubAck is the commit point; the recipient stays in the broker only until the mailer
 * acknowledges the mail (a work queue), 15 minutes at most.
 */
export async function queueEmail(s: Services, tenant: string, input: EmailSendInput): Promise<EmailQueued> {
  const id = newId();
  const data = {
    email_id: id,
    to: input.to,
    subject: input.subject,
    ...(input.text !== undefined ? { text: input.text } : {}),
    ...(input.html !== undefined ? { html: input.html } : {}),
    ...(input.template_id !== undefined ? { template_id: input.template_id } : {}),
    ...(input.dynamic_data !== undefined ? { dynamic_data: input.dynamic_data } : {}),
  };
  await s.events.publish(newEvent('email.requested', tenant, data, s.now(), id), emailSubject(tenant, id));
  return { queued: true, id };
}
