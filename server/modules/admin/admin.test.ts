import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Mayfly } from '../../runtime/start.ts';
import type { EmbeddedNats } from '../../platform/nats/embedded-server.ts';
import { jsonRequest, startTestMayfly } from '../../../test/support/mayfly.ts';
import { startTestNats } from '../../../test/support/nats.ts';

describe('admin procedures', () => {
  let nats: EmbeddedNats;
  let withToken: Mayfly;
  let without: Mayfly;
  const TOKEN = 'admin-token-for-tests-0123456789';

  beforeAll(async () => {
    nats = await startTestNats();
    withToken = await startTestMayfly({ NATS_URL: nats.url, DATABASE_URL: 'memory://', ADMIN_TOKEN: TOKEN, ROLE: 'api' });
    without = await startTestMayfly({ NATS_URL: nats.url, DATABASE_URL: 'memory://', ROLE: 'api' });
  });
  afterAll(async () => {
    await withToken?.stop();
    await without?.stop();
    await nats?.stop();
  });

  it('need the admin bearer token (401), no X-App-ID, and are off without ADMIN_TOKEN (403)', async () => {
    const path = '/api/v1/admin/health-detailed';
    expect((await without.app!.request(path, { headers: { Authorization: `Bearer ${TOKEN}` } })).status).toBe(403);
    const none = await withToken.app!.request(path);
    expect(none.status).toBe(401);
    expect(await none.json()).toMatchObject({ error: { code: 'UNAUTHORIZED' } });
    expect((await withToken.app!.request(path, { headers: { Authorization: 'Bearer wrong' } })).status).toBe(401);
    const ok = await withToken.app!.request(path, { headers: { Authorization: `Bearer ${TOKEN}` } });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ status: 'ok', checks: { postgres: { ok: true }, nats: { ok: true } } });
    const trpc = await withToken.app!.request('/trpc/admin.healthDetailed', { headers: { Authorization: `Bearer ${TOKEN}` } });
    expect(trpc.status).toBe(200);
  });

  it('give the dashboard its figures: server version and cluster size, replicas and oldest message age, reads and writes', async () => {
    const auth = { headers: { Authorization: `Bearer ${TOKEN}` } };
    const get = async <T>(path: string) => (await (await withToken.app!.request(`/api/v1/admin/${path}`, auth)).json()) as T;
    const health = await get<{ checks: { nats: Record<string, unknown> } }>('health-detailed');
    expect(health.checks.nats).toMatchObject({ ok: true, cluster_name: null, cluster_size: 1 });
    expect(health.checks.nats.server_version).toMatch(/^\d+\.\d+\.\d+/);
    const before = await get<{ instance: string; reads_total: number; writes_total: number }>('traffic');
    const app = { 'X-App-ID': 'admin.figures' };
    // The read first: this instance projects nothing (ROLE=api), so a read after a write would wait for a projector.
    expect((await withToken.app!.request('/api/v1/drafts', { headers: app })).status).toBe(200);
    expect((await withToken.app!.request('/api/v1/drafts', jsonRequest('POST', { content: 'counted as a write' }, app))).status).toBe(201);
    const after = await get<typeof before>('traffic');
    expect(after.instance).toBe(before.instance);
    expect([after.writes_total - before.writes_total, after.reads_total - before.reads_total]).toEqual([1, 1]);
    const streams = await get<{ items: { name: string; replicas: number; messages: number; oldest_age_seconds: number | null }[] }>('streams');
    const drafts = streams.items.find((s) => s.name === 'DRAFTS')!;
    expect(drafts.replicas).toBe(1);
    expect(drafts.oldest_age_seconds).toBeGreaterThanOrEqual(0);
    for (const s of streams.items) expect(s.oldest_age_seconds === null).toBe(s.messages === 0);
    const runs = await withToken.app!.request(`/api/v1/admin/reconciler/runs?since=${encodeURIComponent(new Date().toISOString())}`, auth);
    expect(await runs.json()).toEqual({ items: [] });
    expect((await withToken.app!.request('/api/v1/admin/reconciler/runs?since=yesterday', auth)).status).toBe(400);
  });

  it('documents the admin token and no X-App-ID for admin operations', async () => {
    const doc = (await (await withToken.app!.request('/openapi.json')).json()) as {
      paths: Record<string, Record<string, { parameters?: { name: string }[]; security?: unknown[] }>>;
      components: { securitySchemes: Record<string, unknown> };
    };
    const op = doc.paths['/admin/health-detailed']!.get!;
    expect(op.parameters?.map((p) => p.name) ?? []).not.toContain('X-App-ID');
    expect(op.security).toEqual([{ AdminToken: [] }]);
    expect(doc.components.securitySchemes).toHaveProperty('AdminToken');
  });
});
