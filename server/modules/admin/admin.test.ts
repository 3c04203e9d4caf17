import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Mayfly } from '../../runtime/start.ts';
import type { EmbeddedNats } from '../../platform/nats/embedded-server.ts';
import { startTestMayfly } from '../../../test/support/mayfly.ts';
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
