import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { randomUUID } from 'node:crypto';
import { botTaskFilter, draftSubject } from '@mayfly/contracts';
import { createMayflyClient } from '@mayfly/contracts/client';
import { newEvent } from '../server/platform/events/publisher.ts';
import { EventPublisher } from '../server/platform/events/publisher.ts';
import type { EmbeddedNats } from '../server/platform/nats/embedded-server.ts';
import { provisionStreams } from '../server/platform/nats/streams.ts';
import { loadConfig } from '../server/platform/config.ts';
import type { Mayfly } from '../server/runtime/start.ts';
import { DATABASES, testDatabaseUrl, type TestDatabase } from './support/databases.ts';
import { capturingLogger, jsonRequest, startTestMayfly } from './support/mayfly.ts';
import { startTestNats, testNatsVersion } from './support/nats.ts';
import { versionHasMessageTtl } from '../server/platform/nats/message-ttl.ts';
import { messagesOn, rowsHolding } from './support/inspect.ts';

describe.each(DATABASES)('expiry on $name', ({ name, skip }) => {
  let nats: EmbeddedNats;
  let database: TestDatabase;
  let mayfly: Mayfly;
  const rest = (path: string, init: RequestInit = {}) => mayfly.app!.request(`/api/v1${path}`, init);

  beforeAll(async () => {
    if (skip) return;
    nats = await startTestNats();
    database = await testDatabaseUrl(name);
    mayfly = await startTestMayfly({ NATS_URL: nats.url, DATABASE_URL: database.url, RECONCILE_INTERVAL_SECONDS: '1' });
  });
  afterAll(async () => {
    await mayfly?.stop();
    await database?.drop();
    await nats?.stop();
  });

  it.skipIf(skip)('a 2-second draft in a 7-day stream is readable, then 404, then gone from broker and tables', async () => {
    const app = `exp-${randomUUID().slice(0, 6)}`;
    const secret = `short-lived-${randomUUID()}`;
    const res = await rest('/drafts', jsonRequest('POST', { content: secret, ttl_seconds: 2 }, { 'X-App-ID': app }));
    expect(res.status).toBe(201);
    const { id, expires_at } = (await res.json()) as { id: string; expires_at: string };
    expect((await rest(`/drafts/${id}`, { headers: { 'X-App-ID': app } })).status).toBe(200);
    expect(await messagesOn(mayfly.broker, 'DRAFTS', draftSubject(app, id))).toBe(1);

    // Reads never return expired data, reconciler or not.
    await vi.waitUntil(() => Date.now() > Date.parse(expires_at), { timeout: 4_000, interval: 50 });
    expect((await rest(`/drafts/${id}`, { headers: { 'X-App-ID': app } })).status).toBe(404);
    expect(((await (await rest('/drafts', { headers: { 'X-App-ID': app } })).json()) as { items: unknown[] }).items).toEqual([]);

    await vi.waitFor(
      async () => {
        expect(await messagesOn(mayfly.broker, 'DRAFTS', draftSubject(app, id))).toBe(0);
        expect(await rowsHolding(mayfly.db, secret)).toBe(0);
      },
      { timeout: 6_000, interval: 200 },
    );
  });

  it.skipIf(skip)('a bot output with a 2-second TTL is readable, then 404, then gone from broker and tables', async () => {
    const app = `botexp-${randomUUID().slice(0, 6)}`;
    const secret = `bot-secret-${randomUUID()}`;
    const res = await rest('/bots/execute', jsonRequest('POST', { task_type: 'echo', context: { secret }, ttl_seconds: 2 }, { 'X-App-ID': app }));
    const task = (await res.json()) as { task_id: string; status: string; expires_at: string };
    expect(task.status).toBe('completed');
    expect((await rest(`/bots/tasks/${task.task_id}`, { headers: { 'X-App-ID': app } })).status).toBe(200);
    await vi.waitUntil(() => Date.now() > Date.parse(task.expires_at), { timeout: 4_000, interval: 50 });
    expect((await rest(`/bots/tasks/${task.task_id}`, { headers: { 'X-App-ID': app } })).status).toBe(404);
    await vi.waitFor(
      async () => {
        expect(await messagesOn(mayfly.broker, 'BOTS', botTaskFilter(app, task.task_id))).toBe(0);
        expect(await rowsHolding(mayfly.db, secret)).toBe(0);
      },
      { timeout: 6_000, interval: 200 },
    );
  });

  it.skipIf(skip)('a deleted draft leaves the broker too, not only the table', async () => {
    const app = `del-${randomUUID().slice(0, 6)}`;
    const c = createMayflyClient({ url: 'http://x', appId: app, fetch: async (i, init) => mayfly.app!.request(i, init) });
    const secret = `deleted-${randomUUID()}`;
    const d = await c.drafts.create.mutate({ content: secret });
    await c.drafts.update.mutate({ id: d.id, content: `${secret}-v2` });
    await c.drafts.delete.mutate({ id: d.id });
    await vi.waitFor(async () => expect(await messagesOn(mayfly.broker, 'DRAFTS', draftSubject(app, d.id))).toBe(0), {
      timeout: 6_000,
      interval: 200,
    });
    expect(await rowsHolding(mayfly.db, secret)).toBe(0);
  });

  it.skipIf(skip)('a 2.11 subject delete marker removes the projected row at once', async () => {
    const app = `mark-${randomUUID().slice(0, 6)}`;
    const c = createMayflyClient({ url: 'http://x', appId: app, fetch: async (i, init) => mayfly.app!.request(i, init) });
    const d = await c.drafts.create.mutate({ content: 'marked' });
    const { headers } = await import('@nats-io/nats-core');
    const h = headers();
    h.set('Nats-Marker-Reason', 'MaxAge');
    const ack = await mayfly.broker.js.publish(draftSubject(app, d.id), new Uint8Array(), { headers: h });
    await mayfly.services.consistency.settle('drafts', 'DRAFTS', draftSubject(app, d.id));
    expect(ack.seq).toBeGreaterThan(0);
    expect(await mayfly.db.query('SELECT 1 FROM drafts WHERE id = $1', [d.id])).toHaveLength(0);
  });

  it.skipIf(skip)('publishes Nats-TTL on the message where the stream can expire it by itself', async () => {
    const caps = new Map(mayfly.streams);
    caps.set('DRAFTS', { ...caps.get('DRAFTS')!, messageTtl: true }); // as a 2.11 server would grant
    const events = new EventPublisher(mayfly.broker, mayfly.metrics, caps);
    const id = randomUUID();
    const now = new Date();
    const expires = new Date(now.getTime() + 5_000).toISOString();
    const data = { draft_id: id, content: 'x', created_at: now.toISOString(), expires_at: expires };
    const { seq } = await events.publish(newEvent('draft.saved', 'ttl-app', data, now), draftSubject('ttl-app', id), { ttlSeconds: 5 });
    const stored = await mayfly.broker.jsm.streams.getMessage('DRAFTS', { seq });
    expect(stored?.header.get('Nats-TTL')).toBe('5s');
    const plain = await mayfly.services.events.publish(
      newEvent('draft.saved', 'ttl-app', data, now),
      draftSubject('ttl-app', randomUUID()),
      { ttlSeconds: 5 },
    );
    if (versionHasMessageTtl(mayfly.broker.serverVersion)) {
      // 2.11+: DRAFTS keeps one message per subject, so the server keeps the TTL as sent.
      expect(mayfly.streams.get('DRAFTS')!.messageTtl).toBe(true);
      expect((await mayfly.broker.jsm.streams.getMessage('DRAFTS', { seq: plain.seq }))?.header.get('Nats-TTL')).toBe('5s');
    } else {
      // A 2.9 server has no per-message TTL: no header, the reconciler removes it instead.
      expect(mayfly.streams.get('DRAFTS')!.messageTtl).toBe(false);
      expect((await mayfly.broker.jsm.streams.getMessage('DRAFTS', { seq: plain.seq }))?.header.get('Nats-TTL')).toBeFalsy();
    }
  });
});

describe.each(DATABASES)('a stream with a 2-second max-age, on $name', ({ name, skip }) => {
  it.skipIf(skip)('drops messages in the broker, and the reconciler removes the rows projected from them', async () => {
    await using nats = await startTestNats();
    await using database = await testDatabaseUrl(name);
    const mayfly = await startTestMayfly({
      NATS_URL: nats.url,
      DATABASE_URL: database.url,
      RECONCILE_INTERVAL_SECONDS: '1',
      DRAFT_MAX_TTL_SECONDS: '2',
    });
    try {
      const info = await mayfly.broker.jsm.streams.info('DRAFTS');
      expect(info.config.max_age).toBe(2e9);
      expect(info.config.duplicate_window).toBe(2e9);
      // An item whose own expiry is far away: only the broker's max-age can end it.
      const id = randomUUID();
      const now = new Date();
      const data = { draft_id: id, content: 'outlived', created_at: now.toISOString(), expires_at: new Date(now.getTime() + 3_600_000).toISOString() };
      await mayfly.services.events.publish(newEvent('draft.saved', 'age-app', data, now), draftSubject('age-app', id));
      await mayfly.services.consistency.settle('drafts', 'DRAFTS', draftSubject('age-app', id));
      expect(await mayfly.db.query('SELECT 1 FROM drafts WHERE id = $1', [id])).toHaveLength(1);
      // A pass records its report after its deletes commit: wait for both.
      await vi.waitFor(
        async () => {
          expect((await mayfly.broker.jsm.streams.info('DRAFTS')).state.messages).toBe(0);
          expect(await mayfly.db.query('SELECT 1 FROM drafts WHERE id = $1', [id])).toHaveLength(0);
          const runs = await mayfly.db.query<{ report: { rows: { drafts: { source_gone: number } } } }>('SELECT report FROM reconciler_runs');
          // 2.9: the reconciler removes it (its source is gone); 2.11+: the delete marker may be first.
          const byReconciler = runs.reduce((n, r) => n + r.report.rows.drafts.source_gone, 0);
          if (versionHasMessageTtl(mayfly.broker.serverVersion)) expect(byReconciler).toBeLessThanOrEqual(1);
          else expect(byReconciler).toBe(1);
        },
        { timeout: 8_000, interval: 200 },
      );
    } finally {
      await mayfly.stop();
    }
  });
});

// Runs where the test broker has per-message TTL (CI's run B: NATS_SERVER_BIN is a current
// nats-server); on Debian's 2.9 it is skipped and the reconciler tests above cover expiry.
const modern = versionHasMessageTtl(testNatsVersion());
describe.each(DATABASES)(`per-message TTL and delete markers on nats-server ${testNatsVersion()}, on $name`, ({ name, skip }) => {
  it.skipIf(skip || !modern)('a 2-second draft leaves the broker within 1 s of its expiry, and its marker removes the row within 1 s, with no reconciler pass', async () => {
    await using nats = await startTestNats();
    await using database = await testDatabaseUrl(name);
    // The reconciler's first pass is an hour away: only the broker (Nats-TTL) and the
    // projector (the delete marker) can end this draft on time.
    const mayfly = await startTestMayfly({ NATS_URL: nats.url, DATABASE_URL: database.url, RECONCILE_INTERVAL_SECONDS: '3600' });
    try {
      const drafts = await mayfly.broker.jsm.streams.info('DRAFTS');
      expect(drafts.config.max_msgs_per_subject).toBe(1);
      expect(drafts.config.subject_delete_marker_ttl).toBeGreaterThan(0);
      expect(mayfly.streams.get('DRAFTS')!.messageTtl).toBe(true);
      const app = `ttl-${randomUUID().slice(0, 6)}`;
      const secret = `two-seconds-${randomUUID()}`;
      const res = await mayfly.app!.request('/api/v1/drafts', jsonRequest('POST', { content: secret, ttl_seconds: 2 }, { 'X-App-ID': app }));
      expect(res.status).toBe(201);
      const { id, expires_at } = (await res.json()) as { id: string; expires_at: string };
      const subject = draftSubject(app, id);
      const expiry = Date.parse(expires_at);
      const stored = await mayfly.broker.jsm.direct.getMessage('DRAFTS', { last_by_subj: subject });
      expect(stored?.header.get('Nats-TTL')).toBe('2s'); // not raised to the marker's lifetime
      expect((await mayfly.app!.request(`/api/v1/drafts/${id}`, { headers: { 'X-App-ID': app } })).status).toBe(200);
      expect(await mayfly.db.query('SELECT 1 FROM drafts WHERE id = $1', [id])).toHaveLength(1);

      let brokerGone = 0;
      let rowGone = 0;
      while (Date.now() < expiry + 3_000 && (!brokerGone || !rowGone)) {
        // Only the draft itself counts: its delete marker (on the same subject) has no content.
        const last = await mayfly.broker.jsm.direct.getMessage('DRAFTS', { last_by_subj: subject }).catch(() => null);
        if (!brokerGone && !last?.string().includes(secret)) brokerGone = Date.now();
        if (!rowGone && (await mayfly.db.query('SELECT 1 FROM drafts WHERE id = $1', [id])).length === 0) rowGone = Date.now();
        await new Promise((r) => setTimeout(r, 50));
      }
      console.log(`2 s draft on nats-server ${mayfly.broker.serverVersion}: left the broker ${brokerGone - expiry} ms and its row ${rowGone - expiry} ms after its expiry`);
      expect(brokerGone).toBeGreaterThan(0);
      expect(rowGone).toBeGreaterThan(0);
      expect(brokerGone - expiry).toBeLessThanOrEqual(1_000);
      expect(rowGone - expiry).toBeLessThanOrEqual(1_000);
      expect(await rowsHolding(mayfly.db, secret)).toBe(0);
      // The reconciler's one pass at start (the next is an hour away) removed no draft row.
      const runs = await mayfly.db.query<{ report: { rows: { drafts?: { expired: number; source_gone: number } } } }>('SELECT report FROM reconciler_runs');
      expect(runs.length).toBeLessThanOrEqual(1);
      expect(runs.reduce((n, r) => n + (r.report.rows.drafts?.expired ?? 0) + (r.report.rows.drafts?.source_gone ?? 0), 0)).toBe(0);
    } finally {
      await mayfly.stop();
    }
  }, 30_000);
});

describe('stream provisioning', () => {
  it('updates the stream when the setting changes on the next start', async () => {
    await using nats = await startTestNats();
    const { connectBroker } = await import('../server/platform/nats/connect.ts');
    const { createLogger } = await import('../server/platform/logger.ts');
    const broker = await connectBroker(nats.url, createLogger('silent'));
    try {
      await provisionStreams(broker.jsm, loadConfig({ DRAFT_MAX_TTL_SECONDS: '100' }), broker.serverVersion);
      expect((await broker.jsm.streams.info('DRAFTS')).config.max_age).toBe(100e9);
      await provisionStreams(broker.jsm, loadConfig({ DRAFT_MAX_TTL_SECONDS: '200' }), broker.serverVersion);
      expect((await broker.jsm.streams.info('DRAFTS')).config.max_age).toBe(200e9);
      expect((await broker.jsm.streams.info('OUTBOX')).config.retention).toBe('workqueue');
      expect((await broker.jsm.streams.info('TENANTS')).config.max_age).toBe(0);
    } finally {
      await broker.close();
    }
  });

  it('brings streams made for an older server up to this one, logging each change once', async () => {
    await using nats = await startTestNats();
    const { connectBroker } = await import('../server/platform/nats/connect.ts');
    const { log, lines } = capturingLogger();
    const broker = await connectBroker(nats.url, log);
    try {
      // As a 2.9 server (or an older Mayfly) left them: no TTL settings, history per subject.
      await provisionStreams(broker.jsm, loadConfig({}), '2.9.0', { log });
      expect(lines().filter((l) => l.stream)).toHaveLength(0); // created, nothing changed
      await provisionStreams(broker.jsm, loadConfig({}), broker.serverVersion, { log, nodes: 1 });
      const updates = lines().filter((l) => l.stream);
      const drafts = (await broker.jsm.streams.info('DRAFTS')).config;
      if (versionHasMessageTtl(broker.serverVersion)) {
        expect(updates.map((l) => l.stream).sort()).toEqual(['BOTS', 'CONVERSIONS', 'DEVICES', 'DRAFTS', 'OUTBOX', 'ROLLUPS', 'TENANTS', 'UPLOADS']);
        expect(drafts.max_msgs_per_subject).toBe(1);
        expect(drafts.allow_msg_ttl).toBe(true);
        expect((await broker.jsm.streams.info('CONVERSIONS')).config.max_msgs_per_subject).toBe(-1);
      } else {
        expect(updates).toHaveLength(0);
      }
      // The same settings again: no update, no line.
      await provisionStreams(broker.jsm, loadConfig({}), broker.serverVersion, { log, nodes: 1 });
      expect(lines().filter((l) => l.stream)).toHaveLength(updates.length);
      // More replicas than this single server: one line naming both numbers, nothing changed.
      await expect(provisionStreams(broker.jsm, loadConfig({ NATS_STREAM_REPLICAS: '3' }), broker.serverVersion, { log, nodes: 1 })).rejects.toThrow(
        'invalid configuration: NATS_STREAM_REPLICAS is 3 but the NATS cluster has 1 node (at most 1 replica possible)',
      );
      expect((await broker.jsm.streams.info('DRAFTS')).config.num_replicas).toBe(1);
    } finally {
      await broker.close();
    }
  });
});
