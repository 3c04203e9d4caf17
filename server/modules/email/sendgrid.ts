import type { MailDataRequired, MailService } from '@sendgrid/mail';
import type { MailTransport, OutgoingMail } from './transport.ts';
import { classifySendError } from './send-error.ts';

/** Longest one request to SendGrid may take; a worker's in-flight mail holds up shutdown this long at most. */
export const SENDGRID_TIMEOUT_MS = 10_000;

/** SendGrid's v3 mail-send payload, as `@sendgrid/mail` takes it. */
export function sendgridMessage(mail: OutgoingMail, from: string): MailDataRequired {
  // The library's type wants one of text, html, templateId or content spelled out in the
  // type; EmailSendInput has already made sure there is one.
  return {
    to: mail.to,
    from,
    subject: mail.subject,
    ...(mail.text !== undefined ? { text: mail.text } : {}),
    ...(mail.html !== undefined ? { html: mail.html } : {}),
    ...(mail.template_id !== undefined ? { templateId: mail.template_id } : {}),
    ...(mail.dynamic_data !== undefined ? { dynamicTemplateData: mail.dynamic_data } : {}),
    // The library warns on the console about quotes in template data: not a log line we want.
    hideWarnings: true,
  } as MailDataRequired;
}

/** Sends through SendGrid's v3 API. */
export function sendgridTransport(opts: { apiKey: string; from: string; baseUrl?: string | undefined }): MailTransport {
  // The library loads with the first mail, not with the service.
  let service: Promise<MailService> | undefined;
  const mailService = () =>
    (service ??= import('./sendgrid-service.ts').then(({ sendgridService }) => sendgridService({ ...opts, timeoutMs: SENDGRID_TIMEOUT_MS })));
  return {
    kind: 'sendgrid',
    async send(mail) {
      try {
        const [response] = await (await mailService()).send(sendgridMessage(mail, opts.from));
        return { ok: true, status: response.statusCode };
      } catch (err) {
        return classifySendError(err);
      }
    },
  };
}
