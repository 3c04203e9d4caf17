import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tenantToken } from '@mayfly/contracts';
import type { Mayfly } from '../../runtime/start.ts';
import type { EmbeddedNats } from '../../platform/nats/embedded-server.ts';
import { jsonRequest, startTestMayfly } from '../../../test/support/mayfly.ts';
import { startTestNats } from '../../../test/support/nats.ts';

describe('Idempotency-Key', () => {
  let nats: EmbeddedNats;
  let mayfly: Mayfly;
  const post = async (app: string, key: string, body: unknown, path = '/api/v1/drafts') =>
    mayfly.app!.request(path, jsonRequest('POST', body, { 'X-App-ID': app, 'Idempotency-Key': key }));
  const published = async (app: string) => {
    const info = await mayfly.broker.jsm.streams.info('DRAFTS', { subjects_filter: `drafts.${tenantToken(app)}.>` });
    return Object.values(info.state.subjects ?? {}).reduce((a, b) => a + b, 0);
  };

  beforeAll(async () => {
    nats = await startTestNats();
    mayfly = await startTestMayfly({ NATS_URL: nats.url, DATABASE_URL: 'memory://' });
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

  it('publishes nothing new when the first response was lost, and keeps no record longer than the response lives', async () => {
    const first = (await (await post('idem-e', 'k-5', { content: 'lost', ttl_seconds: 60 })).json()) as { id: string; expires_at: string };
    const [rec] = await mayfly.db.query<{ expires_at: Date }>("SELECT expires_at FROM idempotency_keys WHERE tenant = 'idem-e'");
    expect(rec!.expires_at.toISOString()).toBe(first.expires_at);
    // The process died after publishing, before the record was written: the retry runs again.
    await mayfly.db.query("DELETE FROM idempotency_keys WHERE tenant = 'idem-e'");
    const retry = await post('idem-e', 'k-5', { content: 'lost', ttl_seconds: 60 });
    expect(retry.status).toBe(201);
    expect(((await retry.json()) as { id: string }).id).toBe(first.id);
    expect(await published('idem-e')).toBe(1);
  });
});
