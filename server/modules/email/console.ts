import type { MailTransport } from './transport.ts';

/**
 * The development transport: sends nothing. The mailer's one line for the mail says so, with
 * what the mail was made of (its parts' sizes, the template id, the template data's keys) and
 * never its recipient, subject or content.
 */
export function consoleTransport(): MailTransport {
  return {
    kind: 'console',
    async send(mail) {
      return {
        ok: true,
        summary: {
          ...(mail.text !== undefined ? { text_chars: mail.text.length } : {}),
          ...(mail.html !== undefined ? { html_chars: mail.html.length } : {}),
          ...(mail.template_id !== undefined ? { template_id: mail.template_id } : {}),
          ...(mail.dynamic_data !== undefined ? { dynamic_data_keys: Object.keys(mail.dynamic_data) } : {}),
        },
      };
    },
  };
}
