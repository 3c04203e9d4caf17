import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { randomUUID } from 'node:crypto';
import { type EmailQueued } from '@mayfly/contracts';
import { createMayflyClient } from '@mayfly/contracts/client';
import type { Metrics } from '../../platform/metrics.ts';
import type { EmbeddedNats } from '../../platform/nats/embedded-server.ts';
import type { Mayfly } from '../../runtime/start.ts';
import { capturingLogger, jsonRequest, startTestMayfly } from '../../../test/support/mayfly.ts';
import { startTestNats } from '../../../test/support/nats.ts';
import { startFakeSendGrid, type FakeSendGrid } from '../../../test/support/sendgrid.ts';

type ErrorBody = { error: { code: string; details?: { path: string }[] } };

const counter = async (c: Metrics['emailSent'] | Metrics['emailFailed'], labels: Record<string, string>) =>
  (await c.get()).values.filter((v) => Object.entries(labels).every(([k, x]) => (v.labels as Record<string, string>)[k] === x)).reduce((n, v) => n + v.value, 0);

/**
 * How far a counter moves from now on. Under open tenancy every app counts as `other` (per-app
 * series are for registered apps), so each test reads the change it caused.
 */
const counting = async (c: Metrics['emailSent'] | Metrics['emailFailed'], labels: Record<string, string>) => {
  const start = await counter(c, labels);
  return async () => (await counter(c, labels)) - start;
};

const outboxMessages = async (m: Mayfly) => (await m.broker.jsm.streams.info('OUTBOX')).state.messages;

describe('email through SendGrid', () => {
  let nats: EmbeddedNats;
  let sendgrid: FakeSendGrid;
  let mayfly: Mayfly;
  const logs = capturingLogger();
  const tenant = () => `com.example.m${randomUUID().slice(0, 6)}`;
  const recipient = () => `ada.${randomUUID().slice(0, 8)}@example.com`;
  const send = async (app: string, body: unknown) => {
    const res = await mayfly.app!.request('/api/v1/email/send', jsonRequest('POST', body, { 'X-App-ID': app }));
    return { status: res.status, text: await res.clone().text(), body: (await res.json()) as EmailQueued & ErrorBody };
  };
  const callsTo = (address: string) => sendgrid.calls.filter((c) => c.body.personalizations[0]?.to[0]?.email === address);

  beforeAll(async () => {
    nats = await startTestNats();
    sendgrid = await startFakeSendGrid();
    mayfly = await startTestMayfly(
      {
        NATS_URL: nats.url,
        DATABASE_URL: 'memory://',
        SENDGRID_API_KEY: 'SG.test-key-0123456789',
        EMAIL_FROM: 'noreply@mayfly.test',
        SENDGRID_API_URL: sendgrid.url,
        EMAIL_GIVE_UP_SECONDS: '3',
        RECONCILE_INTERVAL_SECONDS: '3600',
      },
      { log: logs.log },
    );
  });
  afterAll(async () => {
    await mayfly?.stop();
    await sendgrid?.stop();
    await nats?.stop();
  });

  it('sends a text mail once with the bearer key, recipient, sender, subject and content, then forgets it', async () => {
    const [app, to] = [tenant(), recipient()];
    const sent = await counting(mayfly.metrics.emailSent, { tenant: 'other' });
    const res = await send(app, { to, subject: 'Your code', text: 'It is 123456.', html: '<p>It is <b>123456</b>.</p>' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ queued: true, id: expect.stringMatching(/^[0-9a-f-]{36}$/) as unknown });
    await vi.waitFor(async () => expect(await sent()).toBe(1), { timeout: 15_000, interval: 50 });
    const calls = callsTo(to);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({
      method: 'POST',
      path: '/v3/mail/send',
      authorization: 'Bearer SG.test-key-0123456789',
      body: {
        personalizations: [{ to: [{ email: to }] }],
        from: { email: 'noreply@mayfly.test' },
        subject: 'Your code',
        content: [
          { type: 'text/plain', value: 'It is 123456.' },
          { type: 'text/html', value: '<p>It is <b>123456</b>.</p>' },
        ],
      },
    });
    // Acked, so gone from the work queue: the broker no longer holds the recipient.
    await vi.waitFor(async () => expect(await outboxMessages(mayfly)).toBe(0), { timeout: 15_000, interval: 50 });
    expect(logs.text()).not.toContain(to);
    expect(logs.lines().some((l) => l.msg === 'email sent' && l.email_id === res.body.id && l.tenant === app)).toBe(true);
  });

  it('passes a dynamic template id and its data as given', async () => {
    const [app, to] = [tenant(), recipient()];
    const data = { name: 'Ada', items: [{ sku: 'A-1', qty: 2 }], quote: 'it\'s "fine" & well' };
    expect((await send(app, { to, subject: 'Receipt', template_id: 'd-0123456789abcdef0123456789abcdef', dynamic_data: data })).status).toBe(200);
    await vi.waitFor(() => expect(callsTo(to)).toHaveLength(1), { timeout: 15_000, interval: 50 });
    const body = callsTo(to)[0]!.body;
    expect(body.template_id).toBe('d-0123456789abcdef0123456789abcdef');
    expect(body.personalizations[0]!.dynamic_template_data).toEqual(data);
    expect(body.content).toBeUndefined();
  });

  it('retries a 429 once and sends on the 202 that follows, one log line per attempt and no stack', async () => {
    const [app, to] = [tenant(), recipient()];
    const [sent, failed] = [await counting(mayfly.metrics.emailSent, { tenant: 'other' }), await counting(mayfly.metrics.emailFailed, { tenant: 'other' })];
    sendgrid.answerNext(429);
    const queued = await send(app, { to, subject: 'Hi', text: 'again' });
    expect(queued.status).toBe(200);
    await vi.waitFor(async () => expect(await sent()).toBe(1), { timeout: 15_000, interval: 50 });
    expect(callsTo(to)).toHaveLength(2);
    const lines = logs.lines().filter((l) => l.email_id === queued.body.id || JSON.stringify(l).includes(queued.body.id));
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      ['info', 'email not accepted yet; retrying'],
      ['info', 'email sent'],
    ]);
    expect(logs.text()).not.toContain('"stack"');
    expect(await failed()).toBe(0);
    await vi.waitFor(async () => expect(await outboxMessages(mayfly)).toBe(0), { timeout: 15_000, interval: 50 });
  });

  it('gives up at once on a refusal (400), and after EMAIL_GIVE_UP_SECONDS on 5xx; both acked and counted failed', async () => {
    const [app, refused, down] = [tenant(), recipient(), recipient()];
    const rejected = await counting(mayfly.metrics.emailFailed, { tenant: 'other', reason: 'rejected' });
    const gaveUp = await counting(mayfly.metrics.emailFailed, { tenant: 'other', reason: 'gave_up' });
    const sent = await counting(mayfly.metrics.emailSent, { tenant: 'other' });
    sendgrid.answerNext(400);
    await send(app, { to: refused, subject: 'Hi', text: 'no' });
    await vi.waitFor(async () => expect(await rejected()).toBe(1), { timeout: 15_000, interval: 50 });
    expect(callsTo(refused)).toHaveLength(1);

    sendgrid.answerAlways(503);
    try {
      await send(app, { to: down, subject: 'Hi', text: 'later' });
      await vi.waitFor(async () => expect(await gaveUp()).toBe(1), { timeout: 10_000, interval: 100 });
    } finally {
      sendgrid.answerAlways(undefined);
    }
    expect(callsTo(down).length).toBeGreaterThan(2);
    expect(await sent()).toBe(0);
    await vi.waitFor(async () => expect(await outboxMessages(mayfly)).toBe(0), { timeout: 15_000, interval: 50 });
    // SendGrid's error bodies echo the mail; none of it reaches a log line.
    expect(logs.text()).not.toContain(refused);
    expect(logs.text()).not.toContain(down);
  });

  it('refuses an invalid address or a mail without content with 400 VALIDATION_FAILED, publishing nothing', async () => {
    const app = tenant();
    const before = (await mayfly.broker.jsm.streams.info('OUTBOX')).state.last_seq;
    const bad = await send(app, { to: 'not-an-address', subject: 'x', text: 'y' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('VALIDATION_FAILED');
    expect(bad.body.error.details?.map((d) => d.path)).toEqual(['to']);
    expect(bad.text).not.toContain('not-an-address');
    const empty = await send(app, { to: recipient(), subject: 'x' });
    expect(empty.status).toBe(400);
    expect(empty.body.error.code).toBe('VALIDATION_FAILED');
    expect(empty.body.error.details?.map((d) => d.path)).toEqual(['text']);
    expect((await mayfly.broker.jsm.streams.info('OUTBOX')).state.last_seq).toBe(before);
  });

  it('works through the typed tRPC client', async () => {
    const [app, to] = [tenant(), recipient()];
    const client = createMayflyClient({ url: 'http://mayfly.test', appId: app, fetch: async (i, init) => mayfly.app!.request(i, init) });
    const queued = await client.email.send.mutate({ to, subject: 'tRPC', html: '<p>hi</p>' });
    expect(queued.queued).toBe(true);
    await vi.waitFor(() => expect(callsTo(to)).toHaveLength(1), { timeout: 15_000, interval: 50 });
  });

  it('has exactly one consumer on OUTBOX: the mailer’s, on email.>', async () => {
    const consumers = await mayfly.broker.jsm.consumers.list('OUTBOX').next();
    expect(consumers.map((c) => [c.name, c.config.filter_subject])).toEqual([['worker_mailer', 'email.>']]);
    expect(logs.text()).not.toContain('SG.test-key');
  });
});

describe('email without SENDGRID_API_KEY', () => {
  let nats: EmbeddedNats;
  let mayfly: Mayfly;
  const logs = capturingLogger();

  beforeAll(async () => {
    nats = await startTestNats();
    mayfly = await startTestMayfly({ NATS_URL: nats.url, DATABASE_URL: 'memory://', RECONCILE_INTERVAL_SECONDS: '3600' }, { log: logs.log });
  });
  afterAll(async () => {
    await mayfly?.stop();
    await nats?.stop();
  });

  it('logs one line for the mail, saying it was not sent, without its recipient, subject or content', async () => {
    const app = 'com.example.console';
    const to = `grace.${randomUUID().slice(0, 8)}@example.org`;
    const text = `Hello ${to}, your code is 482913`;
    const sent = await counting(mayfly.metrics.emailSent, { tenant: 'other' });
    const res = await mayfly.app!.request(
      '/api/v1/email/send',
      jsonRequest('POST', { to, subject: 'Welcome aboard', text, template_id: 'd-1', dynamic_data: { email: to } }, { 'X-App-ID': app }),
    );
    expect(res.status).toBe(200);
    const { id } = (await res.json()) as EmailQueued;
    await vi.waitFor(() => expect(logs.lines().some((l) => l.component === 'mailer' && l.email_id === id)).toBe(true), { timeout: 15_000, interval: 50 });
    const raw = logs.text().split('\n').filter((l) => l.includes(id) && l.includes('"component":"mailer"'));
    expect(raw).toHaveLength(1);
    const keys = [...raw[0]!.matchAll(/"([^"]+)":/g)].map((m) => m[1]);
    expect(keys.filter((k, i) => keys.indexOf(k) !== i)).toEqual([]);
    expect(JSON.parse(raw[0]!)).toMatchObject({
      level: 'info',
      msg: 'email not sent: no SENDGRID_API_KEY (console transport)',
      transport: 'console',
      outcome: 'logged',
      tenant: app,
      text_chars: text.length,
      template_id: 'd-1',
      dynamic_data_keys: ['email'],
    });
    for (const secret of [to, 'Welcome aboard', '482913']) expect(logs.text()).not.toContain(secret);
    expect(await sent()).toBe(1);
    await vi.waitFor(async () => expect(await outboxMessages(mayfly)).toBe(0), { timeout: 15_000, interval: 50 });
  });
});
