import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { draftSubject } from '@mayfly/contracts';
import { CheckpointTracker, readCheckpoint } from '../read-side/checkpoints.ts';
import { openLeaseBucket } from '../jobs/lease.ts';
import type { Projection } from '../projection/projection.ts';
import { durableName, Projector, type ProjectorDeps } from './projector.ts';
import { loadConfig } from '../../server/platform/config.ts';
import type { Database, Queryable } from '../../server/platform/db/database.ts';
import { migrate } from '../../server/platform/db/migrate.ts';
import { openDatabase } from '../../server/platform/db/open.ts';
import { EventPublisher, newEvent } from '../../server/platform/events/publisher.ts';
import { createLogger } from '../../server/platform/logger.ts';
import { createMetrics } from '../../server/platform/metrics.ts';
import { catalog } from '../../server/modules/index.ts';
import { connectBroker, type Broker } from '../../server/platform/nats/connect.ts';
import type { EmbeddedNats } from '../../server/platform/nats/embedded-server.ts';
import { provisionStreams } from '../../server/platform/nats/streams.ts';
import { DATABASES, testDatabaseUrl, type TestDatabase } from '../../test/support/databases.ts';
import { startTestNats } from '../../test/support/nats.ts';

const log = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
const LEASE_MS = 1_200;

/** A projection that counts what it applies: any double application shows up in the count. */
function countingProjection(name: string, fault: (batch: number) => void | Promise<void>): Projection {
  let batches = 0;
  return {
    name,
    stream: 'DRAFTS',
    async apply(tx, events) {
      await tx.query('UPDATE applied_count SET n = n + $1 WHERE projection = $2', [events.length, name]);
      await fault(++batches);
    },
  };
}

/**
 * `db` with each transaction's round trips counted: statements sent before any answer of the
 * transaction came back are one round, those sent after the first answer a second, and so on.
 */
function countingRounds(db: Database): { db: Database; rounds: number[] } {
  const rounds: number[] = [];
  const transaction: Database['transaction'] = (fn) =>
    db.transaction(async (tx) => {
      let answered = 0;
      const sentAfter = new Set<number>();
      const counted = <T>(p: Promise<T>) => {
        sentAfter.add(answered);
        return p.finally(() => answered++);
      };
      const q: Queryable = {
        query: (sql, params) => counted(tx.query(sql, params)),
        command: (sql, params) => counted(tx.command(sql, params)),
        exec: (sql) => counted(tx.exec(sql)),
        copyFrom: (table, columns, rows) => counted(tx.copyFrom(table, columns, rows)),
      };
      const result = await fn(q);
      rounds.push(sentAfter.size);
      return result;
    });
  const counting = new Proxy(db, {
    get(target, key) {
      if (key === 'transaction') return transaction;
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { db: counting, rounds };
}

describe.each(DATABASES)('projector on $name', ({ name, skip }) => {
  let nats: EmbeddedNats;
  let database: TestDatabase;
  let db: Database;
  let writer: Broker;
  const metrics = createMetrics();
  let streams: Awaited<ReturnType<typeof provisionStreams>>;

  beforeAll(async () => {
    if (skip) return;
    nats = await startTestNats();
    database = await testDatabaseUrl(name);
    db = await openDatabase(database.url, '/nonexistent');
    await migrate(db, catalog.migrations);
    await db.query('CREATE TABLE applied_count (projection text PRIMARY KEY, n int NOT NULL)');
    writer = await connectBroker(nats.url, log);
    streams = await provisionStreams(writer.jsm, loadConfig({}), writer.serverVersion);
  });
  // Whatever a test started stops after it, passed or failed: nothing runs into the next test.
  const started: (() => unknown)[] = [];
  afterEach(async () => {
    for (const stop of started.splice(0).reverse()) await stop();
  });
  afterAll(async () => {
    await writer?.close();
    await db?.close();
    await database?.drop();
    await nats?.stop();
  });

  async function publishDrafts(count: number): Promise<number> {
    const events = new EventPublisher(writer, metrics, streams);
    const now = new Date();
    const acks = await Promise.all(
      Array.from({ length: count }, () => {
        const id = randomUUID();
        const data = { draft_id: id, content: 'c', created_at: now.toISOString(), expires_at: new Date(now.getTime() + 3600_000).toISOString() };
        return events.publish(newEvent('draft.saved', 'proj-test', data, now), draftSubject('proj-test', id));
      }),
    );
    return Math.max(...acks.map((a) => a.seq));
  }

  async function projector(projection: Projection, broker: Broker, holder: string, over: Partial<ProjectorDeps> = {}): Promise<Projector> {
    await db.query('INSERT INTO applied_count VALUES ($1, 0) ON CONFLICT DO NOTHING', [projection.name]);
    const deps: ProjectorDeps = {
      broker,
      db,
      log,
      metrics,
      leases: await openLeaseBucket(broker.nc, LEASE_MS),
      leaseTtlMs: LEASE_MS,
      holder,
      now: () => new Date(),
      batchSize: 25,
      ...over,
    };
    const p = new Projector(projection, deps);
    p.start();
    started.push(() => p.stop());
    return p;
  }

  /** A broker connection of this test (closed after it). */
  async function connect(): Promise<Broker> {
    const b = await connectBroker(nats.url, log);
    started.push(() => b.close().catch(() => undefined));
    return b;
  }

  /** A checkpoint tracker of this test (stopped after it). */
  function trackerOn(broker: Broker): CheckpointTracker {
    const tracker = new CheckpointTracker(broker.nc, db);
    tracker.start();
    started.push(() => tracker.stop());
    return tracker;
  }

  const count = async (projection: string) =>
    (await db.query<{ n: number }>('SELECT n FROM applied_count WHERE projection = $1', [projection]))[0]!.n;

  it.skipIf(skip)('applies every event exactly once when the holder dies after commit, before ack', async () => {
    const total = 300;
    const last = await publishDrafts(total);
    const crashing = await connect();
    // Batch 3 commits, then the connection dies before a single ack leaves the process.
    await projector(
      countingProjection('crash_after_commit', (batch) => {
        if (batch === 3) void crashing.nc.close();
      }),
      crashing,
      'holder-a',
    );
    const survivor = await connect();
    await projector(countingProjection('crash_after_commit', () => undefined), survivor, 'holder-b');
    const tracker = trackerOn(survivor);
    await tracker.waitFor('crash_after_commit', 'DRAFTS', last, 20_000);
    expect(await count('crash_after_commit')).toBe(last);
    expect(await readCheckpoint(db, 'crash_after_commit', 'DRAFTS')).toBe(last);
    expect(last).toBeGreaterThanOrEqual(total);
  });

  it.skipIf(skip)('rolls a failed batch back and re-applies it in order', async () => {
    const last = await publishDrafts(200);
    const broker = await connect();
    await projector(
      countingProjection('fails_once', (batch) => {
        if (batch === 2) throw new Error('database hiccup');
      }),
      broker,
      'holder-c',
    );
    const tracker = trackerOn(broker);
    await tracker.waitFor('fails_once', 'DRAFTS', last, 20_000);
    expect(await count('fails_once')).toBe(last);
  });

  it.skipIf(skip)('lets only the lease holder project, and a standby take over', async () => {
    const first = await publishDrafts(50);
    const brokerA = await connect();
    const brokerB = await connect();
    const a = await projector(countingProjection('leased', () => undefined), brokerA, 'holder-x');
    const tracker = trackerOn(brokerA);
    await tracker.waitFor('leased', 'DRAFTS', first, 20_000);
    await projector(countingProjection('leased', () => undefined), brokerB, 'holder-y');
    await a.stop(); // releases the lease: B takes over without waiting for it to age out
    const last = await publishDrafts(50);
    await tracker.waitFor('leased', 'DRAFTS', last, 20_000);
    expect(await count('leased')).toBe(last);
  });

  it.skipIf(skip)('applies an event whose delivery went astray before the ones after it (a puller took it, as when the consumer leader dies mid-delivery)', async () => {
    const first = await publishDrafts(20);
    const broker = await connect();
    await projector(countingProjection('astray', () => undefined), broker, 'holder-s');
    const tracker = trackerOn(broker);
    await tracker.waitFor('astray', 'DRAFTS', first, 20_000);
    // Another pull on the projector's own consumer: the broker hands it one of the next
    // deliveries, which the projector never sees (a delivery lost in flight looks the same).
    const stray = await connect();
    const taken = (await stray.js.consumers.get('DRAFTS', durableName('astray'))).next({ expires: 10_000 });
    await stray.nc.flush();
    for (let i = 0; i < 10; i++) await publishDrafts(1);
    expect((await taken)?.seq).toBeGreaterThan(first);
    const last = await publishDrafts(10);
    await tracker.waitFor('astray', 'DRAFTS', last, 20_000);
    // The ack wait (60 s) is far off: only the projector noticing the gap brings the event back.
    expect(await count('astray')).toBe(last);
  });

  it.skipIf(skip)('applies each event once when redeliveries arrive behind newer messages (short ack wait, slow batches)', async () => {
    const last = await publishDrafts(400);
    const broker = await connect();
    // Every fourth batch takes longer than the ack wait: the broker sends its messages, and the
    // ones queued behind them, again while newer ones are already being delivered, so batches
    // (13 messages: deliveries do not line up with them) hold new messages and redelivered older
    // ones in one. Checkpointing a batch's last message instead of its highest applied 425-430
    // events here.
    await projector(
      countingProjection('redelivered', async (batch) => {
        if (batch % 4 === 1) await new Promise((r) => setTimeout(r, 200));
      }),
      broker,
      'holder-r',
      { ackWaitMs: 100, minFlushIntervalMs: 0, batchSize: 13 },
    );
    const tracker = trackerOn(broker);
    await tracker.waitFor('redelivered', 'DRAFTS', last, 30_000);
    // Let the redeliveries still in flight arrive: none may be applied again.
    await new Promise((r) => setTimeout(r, 600));
    expect(await count('redelivered')).toBe(last);
    expect(await readCheckpoint(db, 'redelivered', 'DRAFTS')).toBe(last);
  });

  it.skipIf(skip)("sends a batch's statements and its checkpoint's move together: each transaction waits for one round trip", async () => {
    const { db: counting, rounds } = countingRounds(db);
    const last = await publishDrafts(120);
    const broker = await connect();
    await projector(countingProjection('one_round', () => undefined), broker, 'holder-o', { db: counting });
    await trackerOn(broker).waitFor('one_round', 'DRAFTS', last, 20_000);
    expect(await count('one_round')).toBe(last);
    // A round trip to the embedded database's thread waits for a turn of the service's event
    // loop, and the transaction holds the database meanwhile: a locking read of the checkpoint,
    // then the batch, then the checkpoint's move were three.
    expect(rounds.length).toBeGreaterThan(0);
    expect(rounds.filter((n) => n !== 1)).toEqual([]);
  });

  it.skipIf(skip)('applies only what the checkpoint does not cover when another holder moved it meanwhile', async () => {
    const broker = await connect();
    const tracker = trackerOn(broker);
    await projector(countingProjection('moved_under', () => undefined), broker, 'holder-m');
    const first = await publishDrafts(20);
    await tracker.waitFor('moved_under', 'DRAFTS', first, 20_000);
    expect(await count('moved_under')).toBe(first);
    // Another holder applied the next five events (a lease that changed hands mid-batch, or a
    // replay's swap): this projector's idea of its checkpoint is stale.
    await db.query("UPDATE projection_checkpoints SET last_seq = $1 WHERE projection = 'moved_under'", [first + 5]);
    await db.query("UPDATE applied_count SET n = n + 5 WHERE projection = 'moved_under'");
    const last = await publishDrafts(10);
    await tracker.waitFor('moved_under', 'DRAFTS', last, 20_000);
    expect(await count('moved_under')).toBe(last);
    expect(await readCheckpoint(db, 'moved_under', 'DRAFTS')).toBe(last);
  });
});
