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
