import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { EventSource } from 'eventsource';
import { botSubject, botTaskFilter, type BotTask } from '@mayfly/contracts';
import { createMayflyClient } from '@mayfly/contracts/client';
import { bots, botHandlers, type BotHandler } from './index.ts';
import { newEvent } from '../../platform/events/publisher.ts';
import { TransientError } from './handlers/handler.ts';
import type { Mayfly } from '../../runtime/start.ts';
import type { EmbeddedNats } from '../../platform/nats/embedded-server.ts';
import { serve, type Listener } from '../../http/serve.ts';
import { DATABASES, testDatabaseUrl, type TestDatabase } from '../../../test/support/databases.ts';
import { jsonRequest, startTestMayfly } from '../../../test/support/mayfly.ts';
import { startTestNats } from '../../../test/support/nats.ts';
import { messagesHolding, rowsHolding } from '../../../test/support/inspect.ts';

const ENV = { RECONCILE_INTERVAL_SECONDS: '3600', BOT_HANDLER_TIMEOUT_MS: '400', WORKER_ACK_WAIT_SECONDS: '1', SSE_MAX_PER_APP: '2' };

/** Registers extra handlers on a running instance (its registry is shared by edge and worker). */
function addHandlers(mayfly: Mayfly, ...handlers: BotHandler[]) {
  const registry = botHandlers(mayfly.services);
  for (const h of handlers) registry.set(h.name, h);
}

const anyContext = z.record(z.string(), z.unknown());

async function outcomesInBroker(mayfly: Mayfly, tenant: string, taskId: string): Promise<number> {
  const info = await mayfly.broker.jsm.streams.info('BOTS', { subjects_filter: botTaskFilter(tenant, taskId) });
  return Object.entries(info.state.subjects ?? {})
    .filter(([s]) => !s.endsWith('.requested'))
    .reduce((n, [, c]) => n + c, 0);
}

describe.each(DATABASES)('bots on $name', ({ name, skip }) => {
  let nats: EmbeddedNats;
  let database: TestDatabase;
  let mayfly: Mayfly;
  let listener: Listener;
  const rest = (path: string, init: RequestInit = {}) => mayfly.app!.request(`/api/v1${path}`, init);
  const execute = async (app: string, body: unknown) => {
    const res = await rest('/bots/execute', jsonRequest('POST', body, { 'X-App-ID': app }));
    return { status: res.status, body: (await res.json()) as BotTask & { error?: { code: string; details?: unknown } } };
  };
  const tenant = () => `bot-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    if (skip) return;
    nats = await startTestNats();
    database = await testDatabaseUrl(name);
    mayfly = await startTestMayfly({ NATS_URL: nats.url, DATABASE_URL: database.url, ...ENV });
    listener = await serve(mayfly.app as never, 0, '127.0.0.1');
    let flakyCalls = 0;
    addHandlers(
      mayfly,
      { name: 'flaky', context: anyContext, example: {}, run: async () => (++flakyCalls % 3 === 0 ? { ok: true } : Promise.reject(new TransientError('upstream busy'))) },
      { name: 'broken', context: anyContext, example: {}, run: async () => Promise.reject(new Error('the model is not loaded\n    at secret/path.ts:1')) },
      { name: 'hang', context: anyContext, example: {}, run: () => new Promise(() => undefined) },
    );
  });
  afterAll(async () => {
    await listener?.close();
    await mayfly?.stop();
    await database?.drop();
    await nats?.stop();
  });

  it.skipIf(skip)('echo and template complete within the wait and return their output', async () => {
    const app = tenant();
    const echo = await execute(app, { task_type: 'echo', context: { hello: 'world', n: [1, 2] } });
    expect(echo.status).toBe(200);
    expect(echo.body).toMatchObject({ status: 'completed', task_type: 'echo', output: { hello: 'world', n: [1, 2] } });
    const tpl = await execute(app, { task_type: 'template', context: { template: 'Hello {{name}}', values: { name: 'Ada' } } });
    expect(tpl.body).toMatchObject({ status: 'completed', output: { text: 'Hello Ada' } });
    const read = await rest(`/bots/tasks/${tpl.body.task_id}`, { headers: { 'X-App-ID': app } });
    expect(await read.json()).toEqual(tpl.body);
  });

  it.skipIf(skip)('email tasks queue the mail through the e-mail module and output its id; recipient, subject and body never rest in BOTS', async () => {
    const secret = { to: `someone.${randomUUID().slice(0, 8)}@example.com`, subject: `Your code ${randomUUID().slice(0, 8)}`, text: `Sign in with ${randomUUID()}` };
    const { body } = await execute(tenant(), { task_type: 'email', context: secret });
    expect(body).toMatchObject({ status: 'completed', output: { message_id: expect.stringMatching(/^[0-9a-f-]{36}$/) as unknown } });
    await vi.waitFor(async () => expect((await mayfly.broker.jsm.streams.info('OUTBOX')).state.messages).toBe(0));
    for (const value of Object.values(secret)) {
      expect(await messagesHolding(mayfly.broker, 'BOTS', value)).toEqual([]);
      expect(await messagesHolding(mayfly.broker, 'OUTBOX', value)).toEqual([]);
      expect(await rowsHolding(mayfly.db, value)).toBe(0);
    }
  });

  it.skipIf(skip)('answers pending with wait_ms 0, and get shows it completed shortly after', async () => {
    const app = tenant();
    const { body } = await execute(app, { task_type: 'echo', context: { later: true }, wait_ms: 0 });
    expect(body.status).toBe('pending');
    await vi.waitFor(async () => {
      const res = await rest(`/bots/tasks/${body.task_id}`, { headers: { 'X-App-ID': app } });
      expect(await res.json()).toMatchObject({ status: 'completed', output: { later: true } });
    });
    const list = (await (await rest('/bots/tasks', { headers: { 'X-App-ID': app } })).json()) as { items: BotTask[] };
    expect(list.items.map((t) => t.task_id)).toEqual([body.task_id]);
  });

  it.skipIf(skip)('retries transient failures, ends failed with a clear error, times out a hanging handler', async () => {
    const app = tenant();
    expect((await execute(app, { task_type: 'flaky', context: {} })).body).toMatchObject({ status: 'completed', output: { ok: true } });
    const broken = (await execute(app, { task_type: 'broken', context: {} })).body;
    expect(broken).toMatchObject({ status: 'failed', error: { code: 'HANDLER_ERROR', message: 'the model is not loaded' } });
    expect(JSON.stringify(broken)).not.toContain('secret/path');
    const hang = (await execute(app, { task_type: 'hang', context: {} })).body;
    expect(hang).toMatchObject({ status: 'failed', error: { code: 'TIMEOUT' } });
  });

  it.skipIf(skip)('ends a task its worker gave up on as failed, with a clear error, instead of pending until its TTL', async () => {
    const app = `giveup-${randomUUID().slice(0, 6)}`;
    const taskId = randomUUID();
    const requested = newEvent('bot.task.requested', app, { task_id: taskId, task_type: 'echo', context: {}, expires_at: new Date(Date.now() + 60_000).toISOString() }, new Date(), taskId);
    const worker = bots.workers(mayfly.services)[0]!;
    await worker.giveUp!({ seq: 1, subject: botSubject(app, taskId, 'requested'), event: requested, deliveryCount: worker.maxDeliver }, new Error('kept failing'));
    const res = await rest(`/bots/tasks/${taskId}`, { headers: { 'X-App-ID': app } });
    expect(await res.json()).toMatchObject({ task_id: taskId, status: 'failed', error: { code: 'WORKER_FAILED' } });
  });

  it.skipIf(skip)('refuses an unknown task_type with 400 listing the known ones, and a context that does not fit', async () => {
    const unknown = await execute(tenant(), { task_type: 'teleport', context: {} });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toMatchObject({
      code: 'VALIDATION_FAILED',
      message: 'unknown task_type "teleport"; known: broken, echo, email, flaky, hang, http, template',
      details: [{ path: 'task_type', code: 'invalid_value' }],
    });
    const bad = await execute(tenant(), { task_type: 'template', context: { template: 42 } });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: 'VALIDATION_FAILED', details: [{ path: 'context.template' }] });
  });

  it.skipIf(skip)('answers a context that does not fit its handler with a minimal valid body, which works as given', async () => {
    // The seed's own example: an email task with a subject only.
    const seed = await execute(tenant(), { task_type: 'email', context: { subject: 'Test' } });
    expect(seed.status).toBe(400);
    const error = seed.body.error as unknown as { code: string; message: string; details: { path: string }[] };
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.details.map((d) => d.path)).toEqual(['context.to']);
    const example = /a minimal valid body: (\{.*\})$/.exec(error.message)?.[1];
    expect(example).toBeDefined();
    const retried = await execute(tenant(), JSON.parse(example!));
    expect(retried.status).toBe(200);
    expect(retried.body).toMatchObject({ status: 'completed', task_type: 'email', output: { message_id: expect.any(String) as unknown } });
    for (const handler of botHandlers(mayfly.services).values()) expect([handler.name, handler.context.safeParse(handler.example).success]).toEqual([handler.name, true]);
    for (const [taskType, context] of [['template', { values: {} }], ['http', { url: 'not a url' }]] as const) {
      const { body } = await execute(tenant(), { task_type: taskType, context });
      expect((body.error as unknown as { message: string }).message).toContain(`a minimal valid body: {"task_type":"${taskType}","context":{`);
    }
  });

  it.skipIf(skip)('keeps tenants apart on get, list and the live feed', async () => {
    const [a, b] = [tenant(), tenant()];
    const { body } = await execute(a, { task_type: 'echo', context: { mine: true } });
    expect((await rest(`/bots/tasks/${body.task_id}`, { headers: { 'X-App-ID': b } })).status).toBe(404);
    expect(((await (await rest('/bots/tasks', { headers: { 'X-App-ID': b } })).json()) as { items: unknown[] }).items).toEqual([]);
  });

  it.skipIf(skip)('streams a tenant’s updates live over SSE, resumable by event id, and only its own', async () => {
    const app = tenant();
    const client = createMayflyClient({ url: `http://127.0.0.1:${listener.port}`, appId: app, EventSource });
    const seen: { id: string; data: BotTask }[] = [];
    let onStarted = () => undefined as void;
    const started = new Promise<void>((r) => (onStarted = r));
    const sub = client.bots.onUpdate.subscribe(undefined, {
      onStarted: () => onStarted(),
      onData: (e) => seen.push(e as { id: string; data: BotTask }),
    });
    await started;
    await execute(tenant(), { task_type: 'echo', context: { other: true } });
    const { body } = await execute(app, { task_type: 'echo', context: { live: 1 } });
    await vi.waitFor(() => expect(seen.map((e) => e.data.status)).toEqual(['pending', 'completed']));
    expect(seen.every((e) => e.data.task_id === body.task_id)).toBe(true);
    sub.unsubscribe();

    // Reconnecting with the first update's id replays what came after it.
    const replay: BotTask[] = [];
    const again = client.bots.onUpdate.subscribe({ lastEventId: seen[0]!.id }, { onData: (e) => replay.push((e as { data: BotTask }).data) });
    await vi.waitFor(() => expect(replay.map((t) => t.status)).toEqual(['completed']));
    again.unsubscribe();
  });

  it.skipIf(skip)('caps live subscriptions per app (429 beyond), and deletes each one’s consumer when its client leaves', async () => {
    const app = tenant();
    const other = tenant();
    /** The live consumers of this test's two apps. */
    const consumers = async () => {
      let n = 0;
      for await (const c of mayfly.broker.jsm.consumers.list('BOTS')) {
        const filters = [c.config.filter_subject, ...(c.config.filter_subjects ?? [])].join(' ');
        if (!c.config.durable_name && (filters.includes(app) || filters.includes(other))) n++;
      }
      return n;
    };
    const open = () =>
      fetch(`http://127.0.0.1:${listener.port}/trpc/bots.onUpdate`, {
        headers: { 'X-App-ID': app, accept: 'text/event-stream' },
      });
    const streams = [await open(), await open()];
    expect(streams.map((r) => r.status)).toEqual([200, 200]);
    const third = await open();
    expect(third.status).toBe(429);
    expect(await third.text()).toContain('TOO_MANY_REQUESTS');
    // Another app is not held back by this one's share.
    const neighbour = await fetch(`http://127.0.0.1:${listener.port}/trpc/bots.onUpdate`, {
      headers: { 'X-App-ID': other, accept: 'text/event-stream' },
    });
    expect(neighbour.status).toBe(200);
    await vi.waitFor(async () => expect(await consumers()).toBe(3));
    for (const r of [...streams, neighbour]) await r.body!.cancel();
    await vi.waitFor(async () => expect(await consumers()).toBe(0), { timeout: 3_000, interval: 50 });
    expect((await open()).status).toBe(200); // a slot given back is taken again
  });
});

// Several instances need one shared database: PostgreSQL (PGlite lives inside one process).
describe('bot workers in several instances, on postgres', () => {
  it.skipIf(DATABASES.find((d) => d.name === 'postgres')!.skip)('share the load, run no task twice, and finish a dead worker’s task exactly once', async () => {
    await using nats = await startTestNats();
    await using database = await testDatabaseUrl('postgres');
    const env = { NATS_URL: nats.url, DATABASE_URL: database.url, ...ENV };
    const one = await startTestMayfly(env);
    const two = await startTestMayfly(env);
    const runs = new Map<string, string[]>();
    const record = (who: string): BotHandler => ({
      name: 'record',
      context: z.object({ id: z.string() }),
      example: { id: 'x' },
      run: async (raw) => {
        const c = raw as { id: string };
        await new Promise((r) => setTimeout(r, 20));
        runs.set(c.id, [...(runs.get(c.id) ?? []), who]);
        return { by: who };
      },
    });
    addHandlers(one, record('one'));
    addHandlers(two, record('two'));
    try {
      const app = 'shared-app';
      // More tasks at once than one worker process takes (its concurrency is 64).
      const ids = Array.from({ length: 300 }, () => randomUUID());
      await Promise.all(
        ids.map(async (id, i) =>
          (i % 2 ? one : two).app!.request(
            '/api/v1/bots/execute',
            jsonRequest('POST', { task_type: 'record', context: { id }, wait_ms: 0 }, { 'X-App-ID': app }),
          ),
        ),
      );
      await vi.waitFor(() => expect(runs.size).toBe(300), { timeout: 15_000, interval: 100 });
      expect([...runs.values()].every((who) => who.length === 1)).toBe(true);
      const byWorker = [...runs.values()].flat();
      expect(byWorker.filter((w) => w === 'one').length).toBeGreaterThan(0);
      expect(byWorker.filter((w) => w === 'two').length).toBeGreaterThan(0);

      // A worker dies mid-task: the task is redelivered to another and has exactly one outcome.
      await two.stop(); // only `one` is there to take the first delivery
      let startedOnOne = false;
      addHandlers(one, { name: 'slow', context: anyContext, example: {}, run: async () => ((startedOnOne = true), new Promise(() => undefined)) });
      const res = await one.app!.request('/api/v1/bots/execute', jsonRequest('POST', { task_type: 'slow', context: {}, wait_ms: 0 }, { 'X-App-ID': app }));
      const { task_id } = (await res.json()) as BotTask;
      await vi.waitFor(() => expect(startedOnOne).toBe(true));
      const three = await startTestMayfly(env);
      addHandlers(three, { name: 'slow', context: anyContext, example: {}, run: async () => ({ finished_by: 'three' }) });
      await one.broker.nc.close(); // killed: no ack, no outcome
      await vi.waitFor(async () => expect(await outcomesInBroker(three, app, task_id)).toBe(1), { timeout: 10_000, interval: 100 });
      const task = await three.app!.request(`/api/v1/bots/tasks/${task_id}`, { headers: { 'X-App-ID': app } });
      expect(await task.json()).toMatchObject({ status: 'completed', output: { finished_by: 'three' } });
      await one.stop();
      await three.stop();
    } finally {
      await one.stop().catch(() => undefined);
      await two.stop().catch(() => undefined);
    }
  });
});
