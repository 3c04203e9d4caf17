import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { type Draft } from '@mayfly/contracts';
import { createMayflyClient, type AppRouter } from '@mayfly/contracts/client';
import { TRPCClientError } from '@trpc/client';
import type { Mayfly } from '../../runtime/start.ts';
import { DATABASES, testDatabaseUrl, type TestDatabase } from '../../../test/support/databases.ts';
import { jsonRequest, startTestMayfly } from '../../../test/support/mayfly.ts';
import { startTestNats } from '../../../test/support/nats.ts';
import type { EmbeddedNats } from '../../platform/nats/embedded-server.ts';

describe.each(DATABASES)('drafts on $name', ({ name, skip }) => {
  let nats: EmbeddedNats;
  let database: TestDatabase;
  let mayfly: Mayfly;
  const rest = (path: string, init: RequestInit = {}) => mayfly.app!.request(`/api/v1${path}`, init);
  const client = (appId: string) =>
    createMayflyClient({ url: 'http://mayfly.test', appId, fetch: async (input, init) => mayfly.app!.request(input, init) });
  const tenant = () => `t${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    if (skip) return;
    nats = await startTestNats();
    database = await testDatabaseUrl(name);
    mayfly = await startTestMayfly({ NATS_URL: nats.url, DATABASE_URL: database.url, DRAFT_MAX_TTL_SECONDS: '3600' });
  });
  afterAll(async () => {
    await mayfly?.stop();
    await database?.drop();
    await nats?.stop();
  });

  it.skipIf(skip)('creates, reads back at once, lists, updates and deletes through REST', async () => {
    const app = tenant();
    const h = { 'X-App-ID': app };
    const created = await rest('/drafts', jsonRequest('POST', { content: 'hello', ttl_seconds: 600 }, h));
    expect(created.status).toBe(201);
    const draft = (await created.json()) as Draft;
    expect(draft.content).toBe('hello');
    expect(Date.parse(draft.expires_at) - Date.parse(draft.created_at)).toBe(600_000);

    const read = await rest(`/drafts/${draft.id}`, { headers: h });
    expect(read.status).toBe(200);
    expect(await read.json()).toEqual(draft);

    const list = (await (await rest('/drafts', { headers: h })).json()) as { items: Draft[]; next_cursor: string | null };
    expect(list.items).toEqual([draft]);
    expect(list.next_cursor).toBeNull();

    const updated = await rest(`/drafts/${draft.id}`, jsonRequest('PATCH', { content: 'changed' }, h));
    expect(updated.status).toBe(200);
    expect(await updated.json()).toEqual({ ...draft, content: 'changed' });
    expect(await (await rest(`/drafts/${draft.id}`, { headers: h })).json()).toMatchObject({ content: 'changed' });

    const deleted = await rest(`/drafts/${draft.id}`, { method: 'DELETE', headers: h });
    expect(deleted.status).toBe(200);
    expect(await deleted.json()).toEqual({ deleted: true });
    const gone = await rest(`/drafts/${draft.id}`, { headers: h });
    expect(gone.status).toBe(404);
    expect(await gone.json()).toMatchObject({ error: { code: 'NOT_FOUND' }, request_id: expect.any(String) as unknown });
    expect(((await (await rest('/drafts', { headers: h })).json()) as { items: unknown[] }).items).toEqual([]);
  });

  it.skipIf(skip)('does the same through the typed tRPC client from contracts', async () => {
    const c = client(tenant());
    const draft = await c.drafts.create.mutate({ content: 'typed' });
    expect(Date.parse(draft.expires_at) - Date.parse(draft.created_at)).toBe(3_600_000); // default capped at the max
    expect(await c.drafts.get.query({ id: draft.id })).toEqual(draft);
    expect((await c.drafts.list.query({})).items).toEqual([draft]);
    expect(await c.drafts.update.mutate({ id: draft.id, ttl_seconds: 60 })).toMatchObject({ content: 'typed' });
    expect(await c.drafts.delete.mutate({ id: draft.id })).toEqual({ deleted: true });
    const err = await c.drafts.get.query({ id: draft.id }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TRPCClientError);
    expect((err as TRPCClientError<AppRouter>).data).toMatchObject({ code: 'NOT_FOUND', error_code: 'NOT_FOUND', httpStatus: 404 });
  });

  it.skipIf(skip)('keeps tenants apart, also app and app.x', async () => {
    const base = tenant();
    for (const [owner, other] of [
      [base, `${base}.x`],
      [`${base}.x`, base],
    ] as const) {
      const draft = await client(owner).drafts.create.mutate({ content: `secret of ${owner}` });
      const h = { 'X-App-ID': other };
      expect((await rest(`/drafts/${draft.id}`, { headers: h })).status).toBe(404);
      expect((await rest(`/drafts/${draft.id}`, jsonRequest('PATCH', { content: 'stolen' }, h))).status).toBe(404);
      expect((await rest(`/drafts/${draft.id}`, { method: 'DELETE', headers: h })).status).toBe(404);
      const listed = (await (await rest('/drafts', { headers: h })).json()) as { items: Draft[] };
      expect(listed.items.map((d) => d.id)).not.toContain(draft.id);
      expect(await client(owner).drafts.get.query({ id: draft.id })).toMatchObject({ content: `secret of ${owner}` });
    }
  });

  it.skipIf(skip)('pages through drafts newest first with a cursor', async () => {
    const c = client(tenant());
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await c.drafts.create.mutate({ content: `n${i}` })).id);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await c.drafts.list.query({ limit: 2, cursor });
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((d) => d.id));
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
    const bad = await rest('/drafts?cursor=garbage', { headers: { 'X-App-ID': 'x' } });
    expect(bad.status).toBe(400);
  });

  it.skipIf(skip)('refuses a ttl beyond DRAFT_MAX_TTL_SECONDS with 400 VALIDATION_FAILED and details, as any invalid input', async () => {
    const res = await rest('/drafts', jsonRequest('POST', { content: 'x', ttl_seconds: 3601 }, { 'X-App-ID': tenant() }));
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'VALIDATION_FAILED', details: [{ path: 'ttl_seconds', message: 'must be at most 3600', code: 'too_big' }] } });
  });

  it.skipIf(skip)('answers a concurrent update that lost the race with 409', async () => {
    const app = tenant();
    const c = client(app);
    const draft = await c.drafts.create.mutate({ content: 'v0' });
    const results = await Promise.allSettled(
      Array.from({ length: 5 }, (_, i) => c.drafts.update.mutate({ id: draft.id, content: `v${i + 1}` })),
    );
    const ok = results.filter((r) => r.status === 'fulfilled');
    const conflicts = results.filter(
      (r) => r.status === 'rejected' && (r.reason as TRPCClientError<AppRouter>).data?.httpStatus === 409,
    );
    expect(ok.length).toBeGreaterThanOrEqual(1);
    expect(ok.length + conflicts.length).toBe(5);
    const final = await c.drafts.get.query({ id: draft.id });
    expect(ok.map((r) => (r).value.content)).toContain(final.content);
  });
});
