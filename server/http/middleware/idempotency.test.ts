import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { tenantToken } from '@mayfly/contracts';
import type { Mayfly } from '../../runtime/start.ts';
import type { EmbeddedNats } from '../../platform/nats/embedded-server.ts';
import { jsonRequest, startTestMayfly } from '../../../test/support/mayfly.ts';
import { startTestNats } from '../../../test/support/nats.ts';
import { versionHasMessageTtl } from '../../platform/nats/message-ttl.ts';

describe('Idempotency-Key', () => {
  let nats: EmbeddedNats;
  let mayfly: Mayfly;
  // The service's clock, moved by the tests (the broker keeps real time: DRAFTS keeps 7 days).
  let clock = Date.now();
  const post = async (app: string, key: string, body: unknown, path = '/api/v1/drafts') =>
    mayfly.app!.request(path, jsonRequest('POST', body, { 'X-App-ID': app, 'Idempotency-Key': key }));
  const published = async (app: string) => {
    const info = await mayfly.broker.jsm.streams.info('DRAFTS', { subjects_filter: `drafts.${tenantToken(app)}.>` });
    return Object.values(info.state.subjects ?? {}).reduce((a, b) => a + b, 0);
  };

  beforeAll(async () => {
    nats = await startTestNats();
    mayfly = await startTestMayfly({ NATS_URL: nats.url, DATABASE_URL: 'memory://', RECONCILE_INTERVAL_SECONDS: '3600' }, { now: () => new Date(clock) });
  });
  afterAll(async () => {
    await mayfly?.stop();
    await nats?.stop();
  });

  it('replays the first response and publishes nothing new', async () => {
    const first = await post('idem-a', 'k-1', { content: 'once' });
    expect(first.status).toBe(201);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    const body = await first.text();
    const again = await post('idem-a', 'k-1', { content: 'once' });
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await again.text()).toBe(body);
    expect(await published('idem-a')).toBe(1);
    // Another app's same key is its own.
    expect((await post('idem-b', 'k-1', { content: 'once' })).headers.get('idempotent-replayed')).toBeNull();
  });

  it('refuses the same key with another body (409), works over tRPC too', async () => {
    await post('idem-c', 'k-2', { content: 'first' });
    const reused = await post('idem-c', 'k-2', { content: 'second' });
    expect(reused.status).toBe(409);
    expect(await reused.json()).toMatchObject({ error: { code: 'IDEMPOTENCY_KEY_REUSED' } });
    const t1 = await post('idem-c', 'k-3', { json: { content: 'rpc' } }, '/trpc/drafts.create');
    const t2 = await post('idem-c', 'k-3', { json: { content: 'rpc' } }, '/trpc/drafts.create');
    expect(t2.headers.get('idempotent-replayed')).toBe('true');
    expect(await t2.text()).toBe(await t1.text());
    expect((await post('idem-c', 'bad key with spaces', { content: 'x' })).status).toBe(400);
  });

  it('lets 20 concurrent identical requests publish exactly one event', async () => {
    const responses = await Promise.all(Array.from({ length: 20 }, () => post('idem-d', 'k-4', { content: 'race' })));
    const texts = await Promise.all(responses.map((r) => r.text()));
    expect(responses.every((r) => r.status === 201)).toBe(true);
    expect(new Set(texts).size).toBe(1);
    expect(responses.filter((r) => r.headers.get('idempotent-replayed') === 'true')).toHaveLength(19);
    expect(await published('idem-d')).toBe(1);
  });

  it('publishes nothing new when the first response was lost, and answers with what the broker stored, not a fresh copy', async () => {
    const first = (await (await post('idem-e', 'k-5', { content: 'lost', ttl_seconds: 60 })).json()) as { id: string; created_at: string; expires_at: string };
    const [rec] = await mayfly.db.query<{ response_expires_at: Date; items: string[] }>("SELECT response_expires_at, items FROM idempotency_keys WHERE tenant = 'idem-e'");
    expect(rec!.response_expires_at.toISOString()).toBe(first.expires_at);
    expect(rec!.items).toEqual([`drafts.idem-e.${first.id}`]);
    // The process died after publishing, before the record was written: the retry runs again,
    // ten seconds later; the publish is a duplicate and the answer is the draft as first made.
    await mayfly.db.query("DELETE FROM idempotency_keys WHERE tenant = 'idem-e'");
    clock += 10_000;
    const retry = await post('idem-e', 'k-5', { content: 'lost', ttl_seconds: 60 });
    expect(retry.status).toBe(201);
    expect(await retry.json()).toEqual(first);
    expect(await published('idem-e')).toBe(1);
  });

  it('answers 410 and shows nothing when the item was deleted since, and publishes nothing', async () => {
    const first = (await (await post('idem-f', 'k-6', { content: 'secret' })).json()) as { id: string };
    const del = await mayfly.app!.request(`/api/v1/drafts/${first.id}`, { method: 'DELETE', headers: { 'X-App-ID': 'idem-f' } });
    expect(del.status).toBe(200);
    // The delete is projected before its answer is read back by anyone: wait for the row to go.
    await vi.waitFor(async () => expect(await mayfly.db.query("SELECT 1 FROM drafts WHERE tenant = 'idem-f'")).toHaveLength(0));
    const retry = await post('idem-f', 'k-6', { content: 'secret' });
    expect(retry.status).toBe(410);
    const text = await retry.text();
    expect(JSON.parse(text)).toMatchObject({ error: { code: 'IDEMPOTENT_RESULT_GONE' } });
    expect(text).not.toContain('secret');
    expect(await mayfly.db.query("SELECT 1 FROM idempotency_keys WHERE tenant = 'idem-f' AND response LIKE '%secret%'")).toHaveLength(0);
    // The create and the delete, nothing more; on 2.11+ DRAFTS keeps one message per subject,
    // so the delete replaced the create.
    expect(await published('idem-f')).toBe(versionHasMessageTtl(mayfly.broker.serverVersion) ? 1 : 2);
  });

  it('answers 410 for a retry after the item expired, never a fresh 201 for a draft that is gone', async () => {
    const first = await post('idem-g', 'k-7', { content: 'short', ttl_seconds: 2 });
    expect(first.status).toBe(201);
    const { id } = (await first.json()) as { id: string };
    clock += 3_000;
    const retry = await post('idem-g', 'k-7', { content: 'short', ttl_seconds: 2 });
    expect(retry.status).toBe(410);
    expect(await published('idem-g')).toBe(1);
    expect((await mayfly.app!.request(`/api/v1/drafts/${id}`, { headers: { 'X-App-ID': 'idem-g' } })).status).toBe(404);
    // Once the reconciler has run, the stored response itself is gone from the database too.
    await mayfly.reconciler!.runOnce();
    expect(await mayfly.db.query("SELECT 1 FROM idempotency_keys WHERE tenant = 'idem-g' AND response IS NOT NULL")).toHaveLength(0);
  });

  it('answers 410 when the record is lost and the original message has left the broker', async () => {
    const first = (await (await post('idem-h', 'k-8', { content: 'purged' })).json()) as { id: string };
    await mayfly.app!.request(`/api/v1/drafts/${first.id}`, { method: 'DELETE', headers: { 'X-App-ID': 'idem-h' } });
    await vi.waitFor(async () => expect(await mayfly.db.query("SELECT 1 FROM drafts WHERE tenant = 'idem-h'")).toHaveLength(0));
    await mayfly.reconciler!.runOnce(); // drains the queued purge: the messages leave the broker
    expect(await published('idem-h')).toBe(0);
    await mayfly.db.query("DELETE FROM idempotency_keys WHERE tenant = 'idem-h'");
    const retry = await post('idem-h', 'k-8', { content: 'purged' });
    expect(retry.status).toBe(410);
    expect(await published('idem-h')).toBe(0);
  });
});
