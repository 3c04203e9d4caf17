import { Client } from '@sendgrid/client';
import { MailService, type MailDataRequired } from '@sendgrid/mail';
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

/**
 * Sends through SendGrid's v3 API. Its own client and mail service (not the library's
 * singletons), so two instances in one process (tests) keep their keys and base URLs apart.
 */
export function sendgridTransport(opts: { apiKey: string; from: string; baseUrl?: string | undefined }): MailTransport {
  const client = new Client();
  client.setApiKey(opts.apiKey);
  // After setApiKey, which resets the base URL to the key's region.
  if (opts.baseUrl) client.setDefaultRequest('baseUrl', opts.baseUrl.endsWith('/') ? opts.baseUrl : `${opts.baseUrl}/`);
  const service = new MailService();
  service.setClient(client);
  service.setTimeout(SENDGRID_TIMEOUT_MS);
  return {
    kind: 'sendgrid',
    async send(mail) {
      try {
        const [response] = await service.send(sendgridMessage(mail, opts.from));
        return { ok: true, status: response.statusCode };
      } catch (err) {
        return classifySendError(err);
      }
    },
  };
}
