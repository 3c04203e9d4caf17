import { describe, expect, it } from 'vitest';
import type { WorkItem } from '../../../consumers/worker.ts';
import { loadConfig } from '../../platform/config.ts';
import { newEvent } from '../../platform/events/publisher.ts';
import { createLogger } from '../../platform/logger.ts';
import { createMetrics } from '../../platform/metrics.ts';
import { RetryLater } from '../../../consumers/worker.ts';
import { mailerWorker } from './mailer.ts';
import type { MailTransport, SendResult } from './transport.ts';

const sentAt = new Date('2026-03-01T12:00:00Z');
const item = (deliveryCount: number): WorkItem => ({
  seq: 1,
  subject: 'email.app.x',
  deliveryCount,
  event: newEvent('email.requested', 'app', { email_id: '0b6e4a1c-2f3d-4e5f-8a9b-0c1d2e3f4a5b', to: 'ada@example.com', subject: 's', text: 't' }, sentAt),
});

/** A mailer whose transport answers `result` and whose clock reads `sentAt + ageMs`. */
function mailer(result: SendResult, ageMs: number) {
  const metrics = createMetrics();
  const transport: MailTransport = { kind: 'sendgrid', send: async () => result };
  const worker = mailerWorker({
    config: loadConfig({ EMAIL_GIVE_UP_SECONDS: '60' }),
    metrics,
    tenantLabel: (t) => t,
    log: createLogger('silent'),
    now: () => new Date(sentAt.getTime() + ageMs),
    transport,
  });
  const count = async () => ({
    sent: (await metrics.emailSent.get()).values.reduce((n, v) => n + v.value, 0),
    failed: Object.fromEntries((await metrics.emailFailed.get()).values.map((v) => [String(v.labels.reason), v.value])) as Record<string, number>,
  });
  return { worker, count };
}

describe('mailer retry policy', () => {
  it('counts a sent mail and acks it', async () => {
    const m = mailer({ ok: true, status: 202 }, 0);
    await m.worker.handle(item(1), AbortSignal.timeout(1_000));
    expect(await m.count()).toEqual({ sent: 1, failed: {} });
  });

  it('has a retryable failure redelivered while the mail is younger than EMAIL_GIVE_UP_SECONDS', async () => {
    const m = mailer({ ok: false, retryable: true, status: 429, reason: 'SendGrid answered 429' }, 59_000);
    await expect(m.worker.handle(item(3), AbortSignal.timeout(1_000))).rejects.toBeInstanceOf(RetryLater);
    expect(await m.count()).toEqual({ sent: 0, failed: {} });
  });

  it('gives up (acks, counts gave_up) once the mail is older, or on the last delivery', async () => {
    const old = mailer({ ok: false, retryable: true, status: 503, reason: 'SendGrid answered 503' }, 60_000);
    await old.worker.handle(item(2), AbortSignal.timeout(1_000));
    expect(await old.count()).toEqual({ sent: 0, failed: { gave_up: 1 } });
    const last = mailer({ ok: false, retryable: true, reason: 'network error ECONNRESET' }, 0);
    await last.worker.handle(item(last.worker.maxDeliver), AbortSignal.timeout(1_000));
    expect(await last.count()).toEqual({ sent: 0, failed: { gave_up: 1 } });
  });

  it('gives up at once on a refusal (counts rejected)', async () => {
    const m = mailer({ ok: false, retryable: false, status: 400, reason: 'SendGrid answered 400' }, 0);
    await m.worker.handle(item(1), AbortSignal.timeout(1_000));
    expect(await m.count()).toEqual({ sent: 0, failed: { rejected: 1 } });
  });

  it('consumes all of OUTBOX (email.>) and refuses to start without EMAIL_FROM next to a key', () => {
    expect(mailer({ ok: true }, 0).worker).toMatchObject({ stream: 'OUTBOX', filterSubject: 'email.>' });
    expect(() => loadConfig({ SENDGRID_API_KEY: 'SG.x' })).toThrow(/EMAIL_FROM is required when SENDGRID_API_KEY is set/);
  });
});
