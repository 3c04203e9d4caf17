import type { Logger } from '../../platform/logger.ts';
import { redactEmails } from '../../platform/logger.ts';
import type { MailTransport } from './transport.ts';

const PREVIEW_CHARS = 2_000;

/**
 * The development transport: prints what would have been sent, as one log line, with the
 * recipient left out and every address in the free text replaced. Template data shows only
 * its keys (its values may be addresses or names).
 */
export function consoleTransport(log: Logger): MailTransport {
  return {
    kind: 'console',
    async send(mail, meta) {
      log.info(
        {
          component: 'mailer',
          transport: 'console',
          tenant: meta.tenant,
          email_id: meta.emailId,
          to: '[redacted]',
          subject: redactEmails(mail.subject),
          ...(mail.text !== undefined ? { text: redactEmails(mail.text.slice(0, PREVIEW_CHARS)) } : {}),
          ...(mail.html !== undefined ? { html_chars: mail.html.length } : {}),
          ...(mail.template_id !== undefined ? { template_id: mail.template_id } : {}),
          ...(mail.dynamic_data !== undefined ? { dynamic_data_keys: Object.keys(mail.dynamic_data) } : {}),
        },
        'email not sent: no SENDGRID_API_KEY, console transport',
      );
      return { ok: true };
    },
  };
}
