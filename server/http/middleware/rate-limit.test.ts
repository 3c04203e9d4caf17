import { describe, expect, it } from 'vitest';
import { DATABASES, testDatabaseUrl } from '../../../test/support/databases.ts';
import { jsonRequest, startTestMayfly } from '../../../test/support/mayfly.ts';
import { startTestNats } from '../../../test/support/nats.ts';
import { openDatabase } from '../../platform/db/open.ts';
import type { Database } from '../../platform/db/database.ts';
import { migrate } from '../../platform/db/migrate.ts';
import { catalog } from '../../modules/index.ts';
import { databaseCounter } from './rate-counters.ts';

const pgSkip = DATABASES.find((d) => d.name === 'postgres')!.skip;
// A pinned clock in the middle of a minute: no window boundary falls inside a test.
const fixed = () => new Date('2031-05-05T12:00:30.000Z');

describe('rate limits', () => {
  it.skipIf(pgSkip)('answer the 31st bots.execute in a minute with 429 and headers, counted across two instances', async () => {
    await using nats = await startTestNats();
    await using database = await testDatabaseUrl('postgres');
    const env = { NATS_URL: nats.url, DATABASE_URL: database.url, RATE_LIMITS: '{}' };
    const one = await startTestMayfly(env, { now: fixed });
    const two = await startTestMayfly({ ...env, ROLE: 'api' }, { now: fixed });
    try {
      const exec = async (i: number) =>
        (i % 2 ? one : two).app!.request('/api/v1/bots/execute', jsonRequest('POST', { task_type: 'echo', context: {}, wait_ms: 0 }, { 'X-App-ID': 'limited' }));
      for (let i = 0; i < 30; i++) {
        const res = await exec(i);
        expect(res.status, `request ${i + 1}`).toBe(200);
        expect(res.headers.get('ratelimit-limit')).toBe('30');
        expect(res.headers.get('ratelimit-remaining')).toBe(String(29 - i));
      }
      const refused = await exec(30);
      expect(refused.status).toBe(429);
      expect(refused.headers.get('retry-after')).toBe('30');
      expect(refused.headers.get('ratelimit-remaining')).toBe('0');
      expect(refused.headers.get('ratelimit-reset')).toBe('30');
      expect(await refused.json()).toMatchObject({ error: { code: 'TOO_MANY_REQUESTS' }, request_id: expect.any(String) as unknown });
      // Another app, and another procedure of the same app, are not affected.
      expect((await one.app!.request('/api/v1/bots/execute', jsonRequest('POST', { task_type: 'echo', context: {}, wait_ms: 0 }, { 'X-App-ID': 'other' }))).status).toBe(200);
      expect((await one.app!.request('/api/v1/drafts', { headers: { 'X-App-ID': 'limited' } })).status).toBe(200);
    } finally {
      await two.stop();
      await one.stop();
    }
  });

  it('limit /health to 10 a minute per client address, and let configuration and apps override', async () => {
    await using nats = await startTestNats();
    const m = await startTestMayfly({ NATS_URL: nats.url, DATABASE_URL: 'memory://', RATE_LIMITS: '{"drafts.list": "2/min"}' }, { now: fixed });
    try {
      for (let i = 0; i < 10; i++) expect((await m.app!.request('/health')).status).toBe(200);
      const limited = await m.app!.request('/health');
      expect(limited.status).toBe(429);
      expect(limited.headers.get('retry-after')).toBe('30');
      const list = () => m.app!.request('/api/v1/drafts', { headers: { 'X-App-ID': 'cfg' } });
      expect((await list()).status).toBe(200);
      expect((await list()).status).toBe(200);
      expect((await list()).status).toBe(429);
    } finally {
      await m.stop();
    }
  });
});

describe('rate limits read requests as tRPC does', () => {
  it('count every call of a batch, an encoded comma too: 15 batches of two bots.execute reach 30/min', async () => {
    await using nats = await startTestNats();
    const m = await startTestMayfly({ NATS_URL: nats.url, DATABASE_URL: 'memory://', RATE_LIMITS: '{}' }, { now: fixed });
    try {
      const batch = () =>
        m.app!.request(
          '/trpc/bots.execute%2Cbots.execute?batch=1',
          jsonRequest('POST', { 0: { json: { task_type: 'echo', context: {}, wait_ms: 0 } }, 1: { json: { task_type: 'echo', context: {}, wait_ms: 0 } } }, { 'X-App-ID': 'batcher' }),
        );
      for (let i = 0; i < 15; i++) expect((await batch()).status, `batch ${i + 1}`).toBe(200);
      expect((await batch()).status).toBe(429);
      // An encoded batch that mixes an admin procedure in still needs an app.
      expect((await m.app!.request('/trpc/admin.tenants.list%2Cdrafts.list?batch=1')).status).toBe(400);
      // More than 10 calls in one batch is refused before any runs.
      const eleven = Array.from({ length: 11 }, () => 'drafts.list').join(',');
      expect((await m.app!.request(`/trpc/${eleven}?batch=1`, { headers: { 'X-App-ID': 'batcher' } })).status).toBe(400);
    } finally {
      await m.stop();
    }
  });

  it('never reach Object.prototype for a procedure named constructor or __proto__, and count unknown names together', async () => {
    await using nats = await startTestNats();
    const m = await startTestMayfly({ NATS_URL: nats.url, DATABASE_URL: 'memory://', RATE_LIMITS: '{"*": "5/min"}' }, { now: fixed });
    try {
      for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
        for (const path of [`/trpc/${name}`, `/trpc/${name},drafts.list?batch=1`]) {
          const res = await m.app!.request(path, { headers: { 'X-App-ID': `proto-${name}` } });
          expect(res.status, path).toBeLessThan(500);
        }
      }
      // Made-up procedure names share one count: five, then 429, whatever the names.
      const junk = (i: number) => m.app!.request(`/trpc/junk${i}.x`, { headers: { 'X-App-ID': 'junker' } });
      for (let i = 0; i < 5; i++) expect((await junk(i)).status).toBe(404);
      expect((await junk(99)).status).toBe(429);
    } finally {
      await m.stop();
    }
  });
});

describe('per-address limits', () => {
  it('name the client behind TRUSTED_PROXIES by X-Forwarded-For, leave loopback probes alone, and limit admin calls per address', async () => {
    await using nats = await startTestNats();
    const m = await startTestMayfly(
      { NATS_URL: nats.url, DATABASE_URL: 'memory://', RATE_LIMITS: '{"health": "2/min", "admin": "3/min"}', TRUSTED_PROXIES: '10.0.0.0/8', ADMIN_TOKEN: 'a'.repeat(32) },
      { now: fixed },
    );
    try {
      const from = (peer: string, forwarded?: string) => ({ incoming: { socket: { remoteAddress: peer } }, ...(forwarded ? {} : {}) });
      const health = (peer: string, forwarded?: string) =>
        m.app!.request('/health', { headers: forwarded ? { 'x-forwarded-for': forwarded } : {} }, from(peer, forwarded));
      // Behind the proxy, each client has its own count.
      expect((await health('10.0.0.5', '198.51.100.1')).status).toBe(200);
      expect((await health('10.0.0.5', '198.51.100.1')).status).toBe(200);
      expect((await health('10.0.0.5', '198.51.100.1')).status).toBe(429);
      expect((await health('10.0.0.6', '203.0.113.9, 10.0.0.7')).status).toBe(200);
      // An untrusted peer can not pick its address by sending the header.
      expect((await health('192.0.2.50', '198.51.100.77')).status).toBe(200);
      expect((await health('192.0.2.50', '198.51.100.78')).status).toBe(200);
      expect((await health('192.0.2.50', '198.51.100.79')).status).toBe(429);
      // Loopback probes (the host's own health checks) are never limited.
      for (let i = 0; i < 5; i++) expect((await health('127.0.0.1')).status).toBe(200);
      // Admin calls count per client address, token or not.
      const adminCall = () => m.app!.request('/api/v1/admin/tenants', { headers: { authorization: 'Bearer wrong' } }, from('192.0.2.60'));
      for (let i = 0; i < 3; i++) expect((await adminCall()).status).toBe(401);
      expect((await adminCall()).status).toBe(429);
    } finally {
      await m.stop();
    }
  });
});

describe('rate-limit counts on PostgreSQL', () => {
  it.skipIf(pgSkip)('give every concurrent request across instances its own exact count, one statement per turn', async () => {
    await using database = await testDatabaseUrl('postgres');
    const dbs = [await openDatabase(database.url, '.'), await openDatabase(database.url, '.')];
    try {
      await migrate(dbs[0]!, catalog.migrations);
      const statements: string[] = [];
      const counted = dbs.map(
        (db): Database => ({
          ...db,
          query<R>(sql: string, params?: unknown[]) {
            statements.push(sql);
            return db.query<R>(sql, params);
          },
        }),
      );
      const [one, two] = counted.map((db) => databaseCounter(db));
      const start = Date.parse('2031-05-05T12:00:00.000Z');
      const end = start + 60_000;
      // Two instances, 50 requests each in one turn, for one bucket; and a few for another.
      const counts = await Promise.all(Array.from({ length: 100 }, (_, i) => (i % 2 ? one! : two!).increment('app:a|drafts.create', start, end)));
      const others = await Promise.all([one!.increment('app:b|drafts.create', start, end), one!.increment('app:b|drafts.create', start, end)]);
      expect([...counts].sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
      expect(others).toEqual([1, 2]);
      expect(statements.length).toBe(3); // one per instance for the first turn, one for the second
      // The next window starts over; the stored count is the sum.
      expect(await one!.increment('app:a|drafts.create', end, end + 60_000)).toBe(1);
      const [row] = await dbs[0]!.query<{ count: number }>("SELECT count FROM rate_windows WHERE bucket = 'app:a|drafts.create' AND window_start = $1", [new Date(start).toISOString()]);
      expect(row?.count).toBe(100);
    } finally {
      for (const db of dbs) await db.close();
    }
  });
});
