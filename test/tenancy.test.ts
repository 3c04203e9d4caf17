import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { STREAMS, tenantToken } from '@mayfly/contracts';
import type { Mayfly } from '../server/runtime/start.ts';
import type { EmbeddedNats } from '../server/platform/nats/embedded-server.ts';
import { DATABASES, testDatabaseUrl, type TestDatabase } from './support/databases.ts';
import { capturingLogger, jsonRequest, startTestMayfly } from './support/mayfly.ts';
import { startTestNats } from './support/nats.ts';

const ADMIN = 'admin-token-for-tenancy-tests-0123';
const METRICS = 'metrics-token-for-tenancy-tests';
const admin = { Authorization: `Bearer ${ADMIN}` };
const pgSkip = DATABASES.find((d) => d.name === 'postgres')!.skip;

describe('registered tenancy on two instances (postgres)', () => {
  let nats: EmbeddedNats;
  let database: TestDatabase;
  let a: Mayfly;
  let b: Mayfly;
  const logs = capturingLogger();

  beforeAll(async () => {
    if (pgSkip) return;
    nats = await startTestNats();
    database = await testDatabaseUrl('postgres');
    const env = { NATS_URL: nats.url, DATABASE_URL: database.url, TENANCY: 'registered', ADMIN_TOKEN: ADMIN, METRICS_TOKEN: METRICS };
    a = await startTestMayfly(env, { log: logs.log });
    b = await startTestMayfly({ ...env, ROLE: 'api' }, { log: logs.log });
  });
  afterAll(async () => {
    await b?.stop();
    await a?.stop();
    await database?.drop();
    await nats?.stop();
  });

  const call = (m: Mayfly, appId: string, key?: string, path = '/api/v1/drafts') =>
    m.app!.request(path, { headers: { 'X-App-ID': appId, ...(key ? { Authorization: `Bearer ${key}` } : {}) } });

  it.skipIf(pgSkip)('admits a registered app with its key on every instance, and nobody else', async () => {
    const created = await a.app!.request('/api/v1/admin/tenants', jsonRequest('POST', { app_id: 'com.example.reg' }, admin));
    expect(created.status).toBe(201);
    const { key } = (await created.json()) as { key: string };
    expect(key).toMatch(/^mfk_[A-Za-z0-9_-]{43}$/);
    await vi.waitFor(async () => expect((await call(b, 'com.example.reg', key)).status).toBe(200));
    expect((await call(a, 'com.example.reg', key)).status).toBe(200);
    for (const res of [await call(b, 'com.example.reg'), await call(b, 'com.example.reg', 'mfk_wrong'), await call(b, 'com.example.unknown', key)]) {
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ error: { code: 'UNAUTHORIZED' } });
    }
    expect((await a.app!.request('/api/v1/admin/tenants', jsonRequest('POST', { app_id: 'com.example.reg' }, admin))).status).toBe(409);
    const listed = (await (await a.app!.request('/api/v1/admin/tenants', { headers: admin })).json()) as { items: { app_id: string }[] };
    expect(listed.items.map((t) => t.app_id)).toContain('com.example.reg');
    expect(JSON.stringify(listed)).not.toMatch(/key_hash|mfk_/);
    expect(logs.text()).not.toContain(key);
  });

  it.skipIf(pgSkip)('gives registered apps metrics series of their own, behind METRICS_TOKEN', async () => {
    const { key } = (await (await a.app!.request('/api/v1/admin/tenants', jsonRequest('POST', { app_id: 'metered.app' }, admin))).json()) as { key: string };
    expect((await call(a, 'metered.app', key)).status).toBe(200);
    expect((await call(a, 'stranger.app', key)).status).toBe(401);
    for (const headers of [{} as Record<string, string>, { Authorization: 'Bearer wrong-token-of-some-length' }, { Authorization: `Basic ${METRICS}` }]) {
      const refused = await a.app!.request('/metrics', { headers });
      expect(refused.status).toBe(401);
      expect(await refused.json()).toMatchObject({ error: { code: 'UNAUTHORIZED' } });
    }
    const res = await a.app!.request('/metrics', { headers: { Authorization: `Bearer ${METRICS}` } });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toMatch(/mayfly_http_requests_total\{tenant="metered.app",procedure="drafts.list",status="200"\} 1/);
    expect(text).not.toContain('stranger.app');
  });

  it.skipIf(pgSkip)('stops the old key at once on every instance when it is rotated', async () => {
    const { key: old } = (await (await a.app!.request('/api/v1/admin/tenants', jsonRequest('POST', { app_id: 'rot-app' }, admin))).json()) as { key: string };
    await vi.waitFor(async () => expect((await call(b, 'rot-app', old)).status).toBe(200));
    const rotated = await a.app!.request('/api/v1/admin/tenants/rot-app/rotate-key', { method: 'POST', headers: admin });
    const { key: fresh } = (await rotated.json()) as { key: string };
    expect(fresh).not.toBe(old);
    expect((await call(a, 'rot-app', old)).status).toBe(401);
    await vi.waitFor(async () => expect((await call(b, 'rot-app', old)).status).toBe(401), { timeout: 1_000, interval: 5 });
    expect((await call(b, 'rot-app', fresh)).status).toBe(200);
  });

  it.skipIf(pgSkip)('ends an app’s open live subscriptions on every instance within a second of its key being rotated, or its removal', async () => {
    const { key } = (await (await a.app!.request('/api/v1/admin/tenants', jsonRequest('POST', { app_id: 'live.app' }, admin))).json()) as { key: string };
    await vi.waitFor(async () => expect((await call(b, 'live.app', key)).status).toBe(200));
    /** An SSE subscription as a browser opens it (app id and key in connectionParams), and when its stream ended. */
    const subscribe = async (m: Mayfly, k: string) => {
      const params = encodeURIComponent(JSON.stringify({ app_id: 'live.app', app_key: k }));
      const res = await m.app!.request(`/trpc/bots.onUpdate?connectionParams=${params}`, { headers: { accept: 'text/event-stream' } });
      expect(res.status).toBe(200);
      const reader = res.body!.getReader();
      const ended = (async () => {
        while (!(await reader.read()).done);
        return Date.now();
      })();
      return { ended };
    };
    const onA = await subscribe(a, key);
    const onB = await subscribe(b, key);
    await new Promise((r) => setTimeout(r, 300)); // both streaming
    const rotatedAt = Date.now();
    const rotated = await a.app!.request('/api/v1/admin/tenants/live.app/rotate-key', { method: 'POST', headers: admin });
    expect(rotated.status).toBe(200);
    const { key: fresh } = (await rotated.json()) as { key: string };
    expect((await onA.ended) - rotatedAt).toBeLessThan(1_000);
    expect((await onB.ended) - rotatedAt).toBeLessThan(1_000);
    // The new key subscribes again; removing the app ends that stream too.
    const again = await subscribe(b, fresh);
    const removedAt = Date.now();
    expect((await a.app!.request('/api/v1/admin/tenants/live.app', { method: 'DELETE', headers: admin })).status).toBe(200);
    expect((await again.ended) - removedAt).toBeLessThan(1_000);
  });

  it.skipIf(pgSkip)('purges every trace of an app from streams and tables', async () => {
    const { key } = (await (await a.app!.request('/api/v1/admin/tenants', jsonRequest('POST', { app_id: 'gone.app' }, admin))).json()) as { key: string };
    const h = { 'X-App-ID': 'gone.app', Authorization: `Bearer ${key}` };
    expect((await a.app!.request('/api/v1/drafts', jsonRequest('POST', { content: 'to be erased' }, h))).status).toBe(201);
    expect((await a.app!.request('/api/v1/bots/execute', jsonRequest('POST', { task_type: 'echo', context: { x: 1 } }, h))).status).toBe(200);
    await a.app!.request('/api/v1/drafts', { headers: h }); // projected
    const del = await a.app!.request('/api/v1/admin/tenants/gone.app?purge=true', { method: 'DELETE', headers: admin });
    expect(await del.json()).toEqual({ deleted: true });
    expect((await call(a, 'gone.app', key)).status).toBe(401);
    const token = tenantToken('gone.app');
    for (const spec of Object.values(STREAMS)) {
      const filter = spec.name === 'TENANTS' ? `tenants.${token}` : `${spec.prefix}.${token}.>`;
      const info = await a.broker.jsm.streams.info(spec.name, { subjects_filter: filter });
      expect(Object.keys(info.state.subjects ?? {}), spec.name).toEqual([]);
    }
    const tables = await a.db.query<{ table_name: string }>(
      "SELECT table_name FROM information_schema.columns WHERE column_name = 'tenant' AND table_schema = current_schema()",
    );
    expect(tables.length).toBeGreaterThan(2);
    for (const { table_name } of tables) {
      expect(await a.db.query(`SELECT 1 FROM "${table_name}" WHERE tenant = 'gone.app'`), table_name).toHaveLength(0);
    }
    expect((await a.app!.request('/api/v1/admin/tenants/never.was', { method: 'DELETE', headers: admin })).status).toBe(404);
  });
});

describe('registered tenancy on pglite', () => {
  it('refuses apps until they are registered', async () => {
    await using nats = await startTestNats();
    const m = await startTestMayfly({ NATS_URL: nats.url, DATABASE_URL: 'memory://', TENANCY: 'registered', ADMIN_TOKEN: ADMIN });
    try {
      expect((await m.app!.request('/api/v1/drafts', { headers: { 'X-App-ID': 'app' } })).status).toBe(401);
      const { key } = (await (await m.app!.request('/api/v1/admin/tenants', jsonRequest('POST', { app_id: 'app' }, admin))).json()) as { key: string };
      expect((await m.app!.request('/api/v1/drafts', { headers: { 'X-App-ID': 'app', Authorization: `Bearer ${key}` } })).status).toBe(200);
    } finally {
      await m.stop();
    }
  });
});
