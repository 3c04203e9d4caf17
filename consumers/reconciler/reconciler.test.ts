import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openLeaseBucket } from '../jobs/lease.ts';
import { Reconciler } from './reconciler.ts';
import { LeaderJobRunner } from '../jobs/leader-job.ts';
import type { Database } from '../../server/platform/db/database.ts';
import { migrate } from '../../server/platform/db/migrate.ts';
import { openDatabase } from '../../server/platform/db/open.ts';
import { createLogger } from '../../server/platform/logger.ts';
import { createMetrics } from '../../server/platform/metrics.ts';
import { catalog } from '../../server/modules/index.ts';
import { connectBroker, type Broker } from '../../server/platform/nats/connect.ts';
import type { EmbeddedNats } from '../../server/platform/nats/embedded-server.ts';
import { provisionStreams } from '../../server/platform/nats/streams.ts';
import { loadConfig } from '../../server/platform/config.ts';
import { DATABASES, testDatabaseUrl, type TestDatabase } from '../../test/support/databases.ts';
import { startTestNats, testNatsVersion } from '../../test/support/nats.ts';
import { versionHasMessageTtl } from '../../server/platform/nats/message-ttl.ts';

const log = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
const LEASE_MS = 1_500;
const INTERVAL_MS = 200;

describe.each(DATABASES)('reconciler leadership on $name', ({ name, skip }) => {
  let nats: EmbeddedNats;
  let database: TestDatabase;
  let db: Database;

  beforeAll(async () => {
    if (skip) return;
    nats = await startTestNats();
    database = await testDatabaseUrl(name);
    db = await openDatabase(database.url, '/nonexistent');
    await migrate(db, catalog.migrations);
    const b = await connectBroker(nats.url, log);
    await provisionStreams(b.jsm, loadConfig({}), b.serverVersion);
    await b.close();
  });
  afterAll(async () => {
    await db?.close();
    await database?.drop();
    await nats?.stop();
  });

  async function reconciler(holder: string): Promise<{ r: LeaderJobRunner; broker: Broker }> {
    const broker = await connectBroker(nats.url, log);
    const job = new Reconciler({ db, broker, log, metrics: createMetrics(), tables: catalog.expiring, holder, now: () => new Date() }).job(INTERVAL_MS);
    const r = new LeaderJobRunner(job, { leases: await openLeaseBucket(broker.nc, LEASE_MS), leaseTtlMs: LEASE_MS, holder, log });
    r.start();
    return { r, broker };
  }

  const runs = async () =>
    db.query<{ holder: string; started_at: Date; duration_ms: number }>('SELECT holder, started_at, duration_ms FROM reconciler_runs ORDER BY id');

  it.skipIf(skip)('never lets two act at once, and hands over within one lease when the leader dies', async () => {
    const a = await reconciler('holder-a');
    const b = await reconciler('holder-b');
    await vi.waitFor(async () => expect((await runs()).length).toBeGreaterThanOrEqual(5), { timeout: 5_000, interval: 100 });
    const before = await runs();
    expect(new Set(before.map((r) => r.holder)).size).toBe(1);
    const leader = before[0]!.holder;
    const [dead, survivor] = leader === 'holder-a' ? [a, b] : [b, a];

    // Kill the leader: its connection drops without releasing the lease.
    const killedAt = Date.now();
    await dead.broker.nc.close();
    await vi.waitFor(
      async () => expect((await runs()).some((r) => r.holder !== leader)).toBe(true),
      { timeout: LEASE_MS + 3 * INTERVAL_MS + 1_000, interval: 50 },
    );
    const takeover = (await runs()).find((r) => r.holder !== leader)!;
    // A current nats-server (2.11+) ages the dead holder's entry out a little later than 2.9:
    // 2.03 s and 2.18 s measured on 2.15.1 at load average 15-20 (within 1.9 s otherwise).
    const slack = versionHasMessageTtl(testNatsVersion()) ? 500 : 0;
    expect(takeover.started_at.getTime() - killedAt).toBeLessThanOrEqual(LEASE_MS + 2 * INTERVAL_MS + slack);

    // No two runs of different holders ever overlapped.
    const all = await runs();
    for (let i = 1; i < all.length; i++) {
      const prev = all[i - 1]!;
      if (prev.holder !== all[i]!.holder) {
        expect(all[i]!.started_at.getTime()).toBeGreaterThanOrEqual(prev.started_at.getTime() + prev.duration_ms);
      }
    }
    await dead.r.stop();
    await survivor.r.stop();
    await survivor.broker.close();
  });

  it.skipIf(skip)('clears a backlog by heap sweeps and a trickle through the index, leaving live rows alone', async () => {
    const broker = await connectBroker(nats.url, log);
    try {
      // The stream's first sequence moves past 1: rows from sequence 1 lost their source.
      for (let i = 0; i < 3; i++) await broker.js.publish('drafts.sweep.gone', 'x');
      await broker.jsm.streams.purge('DRAFTS');
      expect((await broker.jsm.streams.info('DRAFTS')).state.first_seq).toBeGreaterThan(1);
      const seed = (n: number, expired: boolean, lastSeq: number) =>
        db.query(
          `INSERT INTO drafts (tenant, id, content, created_at, expires_at, last_seq)
           SELECT 'sweep', gen_random_uuid(), 'x', now(), now() + ($2::int * interval '1 hour'), $3 FROM generate_series(1, $1)`,
          [n, expired ? -1 : 1, lastSeq],
        );
      await seed(25_000, true, 1);
      await seed(300, false, 1);
      await seed(7, true, 1_000_000); // their messages are "still in the broker": purge them too
      // Small ranges: the backlog takes many batches, so rows on their edges are seen to go too.
      const r = new Reconciler({ db, broker, log, metrics: createMetrics(), tables: catalog.expiring, holder: 'sweeper', now: () => new Date(), batchSize: 1_000, sweepPages: 20 });
      const report = await r.runOnce();
      expect(report.rows.drafts).toEqual({ expired: 25_007, source_gone: 300 });
      expect(await db.query("SELECT 1 FROM drafts WHERE tenant = 'sweep'")).toHaveLength(0);
      expect(report.purged.DRAFTS?.subjects).toBe(7);

      await seed(5, true, 1);
      await seed(10, false, 1_000_000);
      expect((await r.runOnce()).rows.drafts).toEqual({ expired: 5, source_gone: 0 });
      expect(await db.query("SELECT 1 FROM drafts WHERE tenant = 'sweep'")).toHaveLength(10);
      await db.query("DELETE FROM drafts WHERE tenant = 'sweep'");
    } finally {
      await broker.close();
    }
  });
});
