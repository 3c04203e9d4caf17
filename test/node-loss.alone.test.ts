import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import pg from 'pg';
import { LEASE_BUCKET } from '../consumers/jobs/lease.ts';
import { DATABASES, createPostgresDatabase, type TestDatabase } from './support/databases.ts';
import { startMayflyShape, type MayflyShape } from './support/cluster-shape.ts';
import { startNatsCluster, streamLeader, type NatsCluster } from './support/nats-cluster.ts';
import { killAllSpawned } from './support/process.ts';
import { draftSubject } from '@mayfly/contracts';

// The production shape on loopback: three JetStream nodes (every stream and the lease bucket at
// R3), two API processes and two consumer processes on PostgreSQL. A node is killed with
// SIGKILL under a steady write load: nothing acknowledged may be lost or projected twice.
const pgSkip = DATABASES.find((d) => d.name === 'postgres')!.skip;
const APP = 'loss-app';
/** Bounds of one load phase: writers, and how long they write. */
const WRITERS = 4;

interface Write {
  key: string;
  id: string;
  /** The 503s this write got (each with Retry-After) before it was acknowledged. */
  refusals: number;
}

describe.skipIf(pgSkip)('losing a JetStream node under load (three nodes, R3, two API and two consumer processes)', () => {
  let cluster: NatsCluster;
  let database: TestDatabase;
  let shape: MayflyShape;
  let db: pg.Client;
  const writes: Write[] = [];
  const retryAfter: (string | null)[] = [];
  let keys = 0;

  beforeAll(async () => {
    cluster = await startNatsCluster();
    database = await createPostgresDatabase();
    shape = await startMayflyShape({
      NATS_URL: cluster.url,
      NATS_STREAM_REPLICAS: '3',
      DATABASE_URL: database.url,
      NODE_ENV: 'test',
      SECRET_KEY: 'node-loss-secret-key-of-32-characters!',
      RATE_LIMITS: JSON.stringify({ '*': '1000000/min', health: '1000000/min' }),
      READ_YOUR_WRITES_TIMEOUT_MS: '15000',
    });
    db = new pg.Client({ connectionString: database.url });
    await db.connect();
  }, 120_000);

  afterAll(async () => {
    await db?.end().catch(() => undefined);
    await shape?.stop().catch(() => undefined);
    killAllSpawned();
    await cluster?.stop();
    await database?.drop();
  }, 60_000);

  /** One write, retried with its Idempotency-Key until acknowledged (bounded). */
  async function write(n: number): Promise<void> {
    const key = `loss-${keys++}`;
    let refusals = 0;
    const deadline = Date.now() + 60_000;
    for (let attempt = 0; Date.now() < deadline; attempt++) {
      const api = shape.apis[(n + attempt) % shape.apis.length]!;
      const res = await fetch(`${api.url}/api/v1/drafts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'X-App-ID': APP, 'Idempotency-Key': key },
        body: JSON.stringify({ content: `write ${key}` }),
        signal: AbortSignal.timeout(30_000),
      }).catch(() => undefined);
      if (res?.status === 201) {
        const { id } = (await res.json()) as { id: string };
        writes.push({ key, id, refusals });
        acks.push(Date.now());
        return;
      }
      // Unavailable: 503 with Retry-After, nothing else (no 500, no lost connection).
      expect(res?.status, `write ${key}: ${res ? await res.text() : 'no answer'}`).toBe(503);
      retryAfter.push(res!.headers.get('retry-after'));
      refusals++;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`write ${key} not acknowledged within 60 s`);
  }

  let acks: number[] = [];
  /** Steady load across both API instances while `during` runs; returns the longest gap between acks. */
  async function underLoad(during: () => Promise<void>, afterMs: number): Promise<number> {
    acks = [Date.now()];
    let running = true;
    const writers = Array.from({ length: WRITERS }, async (_, w) => {
      for (let i = 0; running; i++) await write(w + i);
    });
    await new Promise((r) => setTimeout(r, 1_500));
    await during();
    await new Promise((r) => setTimeout(r, afterMs));
    running = false;
    await Promise.all(writers);
    let gap = 0;
    for (let i = 1; i < acks.length; i++) gap = Math.max(gap, acks[i]! - acks[i - 1]!);
    return gap;
  }

  async function expectEveryAckProjectedOnce(): Promise<void> {
    const ids = writes.map((w) => w.id);
    expect(new Set(ids).size).toBe(ids.length); // a retried write answered with its first id
    // Readable through the API (read-your-writes waits for the projection; right after a node
    // loss it may answer 503 + Retry-After while the projector's consumer elects its leader)...
    for (const w of writes.slice(-20)) {
      await vi.waitFor(
        async () => {
          const res = await fetch(`${shape.apis[0]!.url}/api/v1/drafts/${w.id}`, { headers: { 'X-App-ID': APP } });
          if (res.status === 503) expect(res.headers.get('retry-after')).toBeTruthy();
          expect(res.status, w.key).toBe(200);
        },
        { timeout: 60_000, interval: 500 },
      );
    }
    // ...and projected exactly once: one row per acknowledged write, no row without one.
    try {
      await vi.waitFor(
        async () => {
          const { rows } = await db.query<{ id: string }>('SELECT id FROM drafts WHERE tenant = $1', [APP]);
          expect(rows.length).toBe(ids.length);
          expect(new Set(rows.map((r) => r.id))).toEqual(new Set(ids));
        },
        { timeout: 30_000, interval: 250 },
      );
    } catch (err) {
      console.log(`projection mismatch: ${JSON.stringify(await explainMismatch(), null, 1)}`);
      throw err;
    }
  }

  /** Where each acknowledged write that has no row (and each row without a write) stands: broker, checkpoints, parked. */
  async function explainMismatch(): Promise<unknown> {
    const { rows } = await db.query<{ id: string }>('SELECT id FROM drafts WHERE tenant = $1', [APP]);
    const have = new Set(rows.map((r) => r.id));
    const acked = new Set(writes.map((w) => w.id));
    const missing = writes.filter((w) => !have.has(w.id));
    const extra = rows.map((r) => r.id).filter((id) => !acked.has(id));
    const checkpoints = (await db.query('SELECT projection, stream, last_seq FROM projection_checkpoints')).rows;
    const parked = (await db.query('SELECT projection, seq, subject, error, attempts FROM parked_events')).rows;
    const inBroker = await withJsm(async (jsm) =>
      Promise.all(
        [...missing.map((w) => w.id), ...extra].map(async (id) => {
          const subject = draftSubject(APP, id);
          const m = await jsm.streams.getMessage('DRAFTS', { last_by_subj: subject }).catch((e: Error) => e.message);
          return { id, subject, broker: typeof m === 'string' ? m : { seq: m?.seq, time: m?.time } };
        }),
      ),
    );
    const info = await withJsm((jsm) => jsm.streams.info('DRAFTS')).catch((e: Error) => e.message);
    return { missing, extra, inBroker, checkpoints, parked, stream: typeof info === 'string' ? info : { state: info.state, cluster: info.cluster } };
  }

  async function withJsm<T>(fn: (jsm: Awaited<ReturnType<typeof jetstreamManager>>, nc: Awaited<ReturnType<typeof connect>>) => Promise<T>): Promise<T> {
    const nc = await connect({ servers: cluster.url.split(',') });
    try {
      return await fn(await jetstreamManager(nc, { timeout: 5_000 }), nc);
    } finally {
      await nc.close();
    }
  }

  async function leaderOf(stream: string): Promise<string> {
    let leader: string | undefined;
    await vi.waitFor(async () => {
      leader = await streamLeader(cluster.url, stream);
      expect(leader).toBeTruthy();
    }, { timeout: 20_000, interval: 200 });
    return leader!;
  }

  /** Lease key -> the pid of the process holding it. */
  async function leaseHolders(): Promise<Map<string, number>> {
    let result: Map<string, number> | undefined;
    await vi.waitFor(async () => (result = await readLeases()), { timeout: 30_000, interval: 500 });
    return result!;
  }

  async function readLeases(): Promise<Map<string, number>> {
    return withJsm(async (_jsm, nc) => {
      const kv = await new Kvm(nc).open(LEASE_BUCKET);
      const out = new Map<string, number>();
      for await (const key of await kv.keys()) {
        const e = await kv.get(key);
        if (e?.operation === 'PUT') out.set(key, Number(e.string().split(':')[1]));
      }
      return out;
    });
  }

  it('streams and the lease bucket are at R3', async () => {
    await withJsm(async (jsm) => {
      for (const name of ['DRAFTS', 'BOTS', 'TENANTS', `KV_${LEASE_BUCKET}`]) {
        expect((await jsm.streams.info(name)).config.num_replicas, name).toBe(3);
      }
    });
  });

  it('kill -9 of the DRAFTS leader: no acknowledged write lost or projected twice, refused writes got 503 + Retry-After and succeed on retry', async () => {
    const leader = await leaderOf('DRAFTS');
    let killedAt = 0;
    const gap = await underLoad(async () => {
      killedAt = Date.now();
      await cluster.kill(leader);
    }, 10_000);
    const after = acks.filter((t) => t > killedAt).length;
    console.log(
      `node loss 1 (${leader}, DRAFTS leader): ${writes.length} writes acknowledged (${after} after the kill), ${retryAfter.length} answers 503; longest time without a successful write: ${gap} ms`,
    );
    // A load before the kill and after it (counts kept loose: the machine's cores are shared).
    expect(writes.length - after).toBeGreaterThan(0);
    expect(after).toBeGreaterThan(0);
    expect(retryAfter.every((h) => h !== null && Number(h) > 0)).toBe(true);
    expect(writes.some((w) => w.refusals > 0) || retryAfter.length === 0).toBe(true);
    expect(await leaderOf('DRAFTS')).not.toBe(leader);
    await expectEveryAckProjectedOnce();
  }, 120_000);

  it('the restarted node catches up, and a second leader loss loses nothing either', async () => {
    const first = cluster.nodes.find((n) => !n.child)!;
    await cluster.restart(first.name);
    await vi.waitFor(
      async () => {
        const info = await withJsm((jsm) => jsm.streams.info('DRAFTS'));
        const replicas = info.cluster?.replicas ?? [];
        expect(replicas.map((r) => r.name).concat(info.cluster?.leader ?? '').sort()).toContain(first.name);
        expect(replicas.every((r) => r.current && !r.offline)).toBe(true);
      },
      { timeout: 60_000, interval: 500 },
    );
    let leader = await leaderOf('DRAFTS');
    if (leader === first.name) {
      // "Another leader": move it off the node that was killed the first time.
      await withJsm(async (_jsm, nc) => nc.request('$JS.API.STREAM.LEADER.STEPDOWN.DRAFTS', undefined, { timeout: 5_000 }));
      await vi.waitFor(async () => expect((leader = await leaderOf('DRAFTS'))).not.toBe(first.name), { timeout: 20_000, interval: 200 });
    }
    const before = writes.length;
    let killedAt = 0;
    try {
      const gap = await underLoad(async () => {
        killedAt = Date.now();
        await cluster.kill(leader);
      }, 10_000);
      const after = acks.filter((t) => t > killedAt).length;
      console.log(`node loss 2 (${leader}, DRAFTS leader): ${writes.length - before} writes acknowledged (${after} after the kill); longest time without a successful write: ${gap} ms`);
      expect(writes.length - before - after).toBeGreaterThan(0);
      expect(after).toBeGreaterThan(0);
      await expectEveryAckProjectedOnce();
    } finally {
      await cluster.restart(leader);
    }
  }, 180_000);

  it('the projector and reconciler leases move to the surviving consumer process when their holder dies', async () => {
    const holders = await leaseHolders();
    expect(holders.size).toBeGreaterThan(0);
    const pids = new Set(shape.consumers.map((c) => c.pid));
    expect([...holders.values()].every((pid) => pids.has(pid))).toBe(true);
    const victim = shape.consumers.find((c) => c.pid === holders.get([...holders.keys()].find((k) => k.includes('drafts')) ?? [...holders.keys()][0]!))!;
    const survivor = shape.consumers.find((c) => c !== victim)!;
    await victim.kill('SIGKILL');
    // A dead holder's leases age out (10 s) and the survivor takes every one of them.
    await vi.waitFor(
      async () => {
        const now = await leaseHolders();
        // Every lease held before is the survivor's now (a job may have taken a lease since).
        for (const key of holders.keys()) expect(now.get(key)).toBe(survivor.pid);
        expect([...now.values()].every((pid) => pid === survivor.pid)).toBe(true);
      },
      { timeout: 45_000, interval: 500 },
    );
    // And it projects: a new write is readable and in the table.
    const before = writes.length;
    await write(0);
    expect(writes.length).toBe(before + 1);
    await expectEveryAckProjectedOnce();
  }, 120_000);
});
