import type { EmailSendInput } from '@mayfly/contracts';

/** One mail as the mailer hands it to a transport. */
export type OutgoingMail = EmailSendInput;

/** What a send came to. `status` is the provider's HTTP status where there was one. */
export type SendResult =
  /** `summary`: what the mailer's line may tell of the mail (never its recipient, subject or content). */
  | { ok: true; status?: number; summary?: Record<string, unknown> }
  | { ok: false; retryable: boolean; status?: number; reason: string };

/** Where mail goes: SendGrid, or the console in development. */
export interface MailTransport {
  readonly kind: 'sendgrid' | 'console';
  /** Never throws, and never puts the recipient into `reason`. */
  send(mail: OutgoingMail, meta: { tenant: string; emailId: string }): Promise<SendResult>;
}
