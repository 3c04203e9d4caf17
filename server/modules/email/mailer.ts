import { EMAIL_FILTER, type EmailRequestedEvent } from '@mayfly/contracts';
import { RetryLater, type Worker, type WorkItem } from '../../../consumers/worker.ts';
import type { Config } from '../../platform/config.ts';
import type { Logger } from '../../platform/logger.ts';
import type { Metrics } from '../../platform/metrics.ts';
import { consoleTransport } from './console.ts';
import { SENDGRID_TIMEOUT_MS, sendgridTransport } from './sendgrid.ts';
import type { MailTransport, SendResult } from './transport.ts';

export interface MailerDeps {
  config: Config;
  metrics: Metrics;
  /** An app's metrics label (its id only when registered). */
  tenantLabel: (appId: string) => string;
  log: Logger;
  now: () => Date;
  transport?: MailTransport;
}

/** Deliveries before a mail is given up whatever its age (the time bound normally comes first). */
const MAX_DELIVER = 50;

/** SendGrid where a key is configured, else the console (recipient redacted). */
export function transportFor(config: Config): MailTransport {
  if (config.SENDGRID_API_KEY && config.EMAIL_FROM) {
    return sendgridTransport({ apiKey: config.SENDGRID_API_KEY, from: config.EMAIL_FROM, baseUrl: config.SENDGRID_API_URL });
  }
  return consoleTransport();
}

/**
 * The mailer: sends each `email.requested` in OUTBOX once, through the transport. It is the
 * only consumer of OUTBOX (`email.>`): a work queue allows one consumer per subject, and its
 * ack is what removes the mail, recipient included, from the broker.
 *
 * 429, 5xx and network errors are retried by redelivery with backoff until the mail is
 * EMAIL_GIVE_UP_SECONDS old; then, and at once for any other refusal, the mail is acked and
 * counted failed. What is left is counts (Prometheus) and one log line per delivery attempt
 * with the tenant, the mail id and the outcome, never an address, a subject or content. Outcomes are not published as
 * events: in OUTBOX the mailer (on `email.>`) would take them for work, and a stream of their
 * own would keep a per-mail record that nothing reads. A crash between SendGrid's 202 and the
 * ack sends that mail again (at-least-once): SendGrid has no idempotency key.
 */
export function mailerWorker(deps: MailerDeps): Worker {
  const { config, metrics, now } = deps;
  const log = deps.log.child({ component: 'mailer' });
  const transport = deps.transport ?? transportFor(config);
  if (transport.kind === 'console' && config.NODE_ENV === 'production') {
    log.warn('SENDGRID_API_KEY is not set: mail is not sent (the console transport logs one line per mail, nothing of its content)');
  }
  const giveUpMs = config.EMAIL_GIVE_UP_SECONDS * 1000;
  return {
    name: 'mailer',
    stream: 'OUTBOX',
    filterSubject: EMAIL_FILTER,
    concurrency: 16,
    maxDeliver: MAX_DELIVER,
    maxHandleMs: SENDGRID_TIMEOUT_MS + 5_000,
    ackWaitMs: config.WORKER_ACK_WAIT_SECONDS * 1000,
    async handle(item: WorkItem) {
      // Nothing else belongs in OUTBOX; acking it is the only way it leaves the queue.
      if (item.event.type !== 'email.requested') return;
      const event: EmailRequestedEvent = item.event;
      const { email_id: emailId, ...mail } = event.data;
      const tenant = event.tenant;
      let result: SendResult;
      try {
        result = await transport.send(mail, { tenant, emailId });
      } catch {
        // A transport must not throw; if one does, its error is not ours to log (it may hold the mail).
        result = { ok: false, retryable: true, reason: 'the transport failed' };
      }
      const outcome = { tenant, email_id: emailId, transport: transport.kind, attempt: item.deliveryCount };
      if (result.ok) {
        metrics.emailSent.inc({ tenant: deps.tenantLabel(tenant) });
        if (transport.kind === 'console') log.info({ ...outcome, outcome: 'logged', ...result.summary }, 'email not sent: no SENDGRID_API_KEY (console transport)');
        else log.info({ ...outcome, outcome: 'sent', status: result.status }, 'email sent');
        return;
      }
      const ageMs = now().getTime() - Date.parse(event.occurred_at);
      if (result.retryable && ageMs < giveUpMs && item.deliveryCount < MAX_DELIVER) {
        log.info({ ...outcome, outcome: 'retry', status: result.status, reason: result.reason }, 'email not accepted yet; retrying');
        throw new RetryLater(result.reason);
      }
      const reason = result.retryable ? 'gave_up' : 'rejected';
      metrics.emailFailed.inc({ tenant: deps.tenantLabel(tenant), reason });
      log.warn({ ...outcome, outcome: 'failed', reason, status: result.status, detail: result.reason }, 'email failed');
    },
  };
}
