import { z } from 'zod';
import { eventEnvelope } from './envelope.ts';
import { tenantToken } from './tenant.ts';

export const EmailId = z.uuid().meta({ description: 'Id of the queued e-mail (UUID), the id of its email.requested event.' });

const Body = (what: string) => z.string().min(1).max(262_144).meta({ description: `${what} body (at most 256 KiB).` });

const fields = {
  to: z.email().max(254).meta({ description: 'The recipient. Kept only until the mail is sent (at most 15 minutes), never logged.', example: 'ada@example.com' }),
  subject: z.string().min(1).max(998).meta({ description: 'Subject line (RFC 5322 limit: 998 characters).', example: 'Your code' }),
  text: Body('Plain-text').optional(),
  html: Body('HTML').optional(),
  template_id: z
    .string()
    .min(1)
    .max(128)
    .regex(/^[A-Za-z0-9_-]+$/, 'must be a SendGrid template id such as d-0123...')
    .optional()
    .meta({ description: 'A SendGrid (dynamic) template id.', example: 'd-0123456789abcdef0123456789abcdef' }),
  dynamic_data: z
    .record(z.string(), z.unknown())
    .optional()
    .meta({ description: 'Values for the dynamic template.', example: { name: 'Ada' } }),
};

/** `email.send` input: a recipient, a subject and some content (text, html or a template). */
export const EmailSendInput = z.strictObject(fields).refine((m) => m.text !== undefined || m.html !== undefined || m.template_id !== undefined, {
  message: 'give text, html or template_id',
  path: ['text'],
});
export type EmailSendInput = z.infer<typeof EmailSendInput>;

export const EmailQueued = z.object({ queued: z.literal(true), id: EmailId }).meta({ id: 'EmailQueued' });
export type EmailQueued = z.infer<typeof EmailQueued>;

/**
 * A mail to send. It lives in OUTBOX, a work queue: the broker drops it (recipient included)
 * once the mailer acknowledges it, and after 15 minutes whatever happens.
 */
export const EmailRequestedEvent = eventEnvelope('email.requested', 1, z.object({ email_id: z.uuid(), ...fields }));
export type EmailRequestedEvent = z.infer<typeof EmailRequestedEvent>;
export type EmailEvent = EmailRequestedEvent;

/** The subject of one mail: `email.<tenant token>.<email id>`. */
export const emailSubject = (appId: string, emailId: string) => `email.${tenantToken(appId)}.${emailId}`;
/** Every mail of every tenant: the mailer's filter, and the only consumer OUTBOX may have. */
export const EMAIL_FILTER = 'email.>';
