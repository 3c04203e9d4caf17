// A model-based test of a draft's whole lifecycle: generated sequences of create, update (to a
// shorter or a longer TTL), delete, wait, replay, reconciler run and projector restart run
// against a real nats-server and PostgreSQL, and after each step the service must agree with a
// plain in-memory model: a GET answers what the model says, nothing the model calls deleted or
// expired is left in the broker or the table once the reconciler has run, and nothing it calls
// live is ever lost.
//
// In CI: a fixed seed and a bounded number of steps. A longer run:
//   MODEL_SEED=7 MODEL_STEPS=400 npx vitest run test/lifecycle-model.test.ts
// (NATS_SERVER_BIN picks the broker generation, as for every suite.)
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { randomUUID } from 'node:crypto';
import { draftSubject } from '@mayfly/contracts';
import { openLeaseBucket } from '../consumers/jobs/lease.ts';
import { readCheckpoint } from '../consumers/read-side/checkpoints.ts';
import { catalog } from '../server/modules/index.ts';
import type { EmbeddedNats } from '../server/platform/nats/embedded-server.ts';
import type { Mayfly } from '../server/runtime/start.ts';
import { replayProjection } from '../ops/replay/replay.ts';
import { DATABASES, testDatabaseUrl, type TestDatabase } from './support/databases.ts';
import { messagesOn } from './support/inspect.ts';
import { jsonRequest, startTestMayfly } from './support/mayfly.ts';
import { startTestNats } from './support/nats.ts';

const SEED = Number(process.env.MODEL_SEED ?? 20261130);
const STEPS = Number(process.env.MODEL_STEPS ?? 80);
const LEASE_MS = 2_000;
/** Items this close to their expiry are not asserted on: a request takes time, the clocks are real. */
const MARGIN_MS = 400;
const pg = DATABASES.find((d) => d.name === 'postgres')!;

/** A small deterministic PRNG (mulberry32): the same seed, the same steps. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  return { next, int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)), pick: <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)]! };
}

/** What the model knows of one draft. */
interface Modelled {
  id: string;
  content: string;
  /** When it expires; undefined once deleted. */
  expiresAt: number | undefined;
}

describe.skipIf(pg.skip)('the lifecycle of drafts against a model (PostgreSQL)', () => {
  let nats: EmbeddedNats;
  let database: TestDatabase;
  let m: Mayfly;
  const app = `model-${randomUUID().slice(0, 6)}`;
  const headers = { 'X-App-ID': app };
  const rest = (path: string, init: RequestInit = {}) => m.app!.request(`/api/v1${path}`, init);

  beforeAll(async () => {
    nats = await startTestNats();
    database = await testDatabaseUrl('postgres');
    m = await startTestMayfly(
      { NATS_URL: nats.url, DATABASE_URL: database.url, RECONCILE_INTERVAL_SECONDS: '3600', READ_YOUR_WRITES_TIMEOUT_MS: '15000' },
      { leaseTtlMs: LEASE_MS },
    );
  });
  afterAll(async () => {
    await m?.stop();
    await database?.drop();
    await nats?.stop();
  });

  it(`agrees with the model after every step (seed ${SEED}, ${STEPS} steps)`, { timeout: 240_000 }, async () => {
    const rnd = prng(SEED);
    const model = new Map<string, Modelled>();
    const log: string[] = [];
    const state = (d: Modelled, at: number): 'live' | 'gone' | 'unsure' => {
      if (d.expiresAt === undefined) return 'gone';
      if (d.expiresAt > at + MARGIN_MS) return 'live';
      return d.expiresAt < at - MARGIN_MS ? 'gone' : 'unsure';
    };
    const ttl = () => rnd.pick([1, 2, 3, 3_600]);
    const projector = () => m.projectors.find((p) => p.projection.name === 'drafts')!;
    const settled = async () => {
      const last = (await m.broker.jsm.streams.info('DRAFTS')).state.last_seq;
      await vi.waitFor(async () => expect(await readCheckpoint(m.db, 'drafts', 'DRAFTS')).toBeGreaterThanOrEqual(last), { timeout: 15_000, interval: 25 });
    };

    /** Every draft the model knows: a GET answers what the model says. */
    const checkReads = async () => {
      for (const d of model.values()) {
        const before = Date.now();
        const res = await rest(`/drafts/${d.id}`, { headers });
        const expected = state(d, before);
        if (expected === 'unsure' || state(d, Date.now()) !== expected) continue;
        expect(res.status, `${d.id} should be ${expected} after: ${log.join(', ')}`).toBe(expected === 'live' ? 200 : 404);
        if (expected === 'live') expect(((await res.json()) as { content: string }).content).toBe(d.content);
      }
    };

    /** After a reconciler run: nothing gone is left in the broker or the table. */
    const checkNothingLeft = async (ranAt: number) => {
      for (const d of model.values()) {
        if (d.expiresAt !== undefined && d.expiresAt >= ranAt - MARGIN_MS) continue;
        const why = `${d.id} (${d.expiresAt === undefined ? 'deleted' : 'expired'}) after: ${log.join(', ')}`;
        expect(await messagesOn(m.broker, 'DRAFTS', draftSubject(app, d.id)), why).toBe(0);
        expect(await m.db.query('SELECT 1 FROM drafts WHERE tenant = $1 AND id = $2', [app, d.id]), why).toHaveLength(0);
      }
    };

    for (let step = 0; step < STEPS; step++) {
      const live = [...model.values()].filter((d) => state(d, Date.now()) === 'live');
      const op = rnd.pick(['create', 'create', 'update', 'update', 'delete', 'wait', 'wait', 'reconcile', 'replay', 'restart'] as const);
      if (op === 'create' || (live.length === 0 && (op === 'update' || op === 'delete'))) {
        const content = `c${step}`;
        const t = ttl();
        const res = await rest('/drafts', jsonRequest('POST', { content, ttl_seconds: t }, headers));
        expect(res.status).toBe(201);
        const body = (await res.json()) as { id: string; expires_at: string };
        model.set(body.id, { id: body.id, content, expiresAt: Date.parse(body.expires_at) });
        log.push(`create ${body.id.slice(0, 4)} ${t}s`);
      } else if (op === 'update') {
        const d = rnd.pick(live);
        const content = `c${step}`;
        const t = ttl();
        const res = await rest(`/drafts/${d.id}`, jsonRequest('PATCH', { content, ttl_seconds: t }, headers));
        if (state(d, Date.now()) === 'live') expect(res.status).toBe(200);
        if (res.status === 200) {
          d.content = content;
          d.expiresAt = Date.parse(((await res.json()) as { expires_at: string }).expires_at);
        }
        log.push(`update ${d.id.slice(0, 4)} ${t}s`);
      } else if (op === 'delete') {
        const d = rnd.pick(live);
        const res = await rest(`/drafts/${d.id}`, { method: 'DELETE', headers });
        if (state(d, Date.now()) === 'live') expect(res.status).toBe(200);
        if (res.status === 200) d.expiresAt = undefined;
        log.push(`delete ${d.id.slice(0, 4)}`);
      } else if (op === 'wait') {
        const ms = rnd.int(200, 1_500);
        await new Promise((r) => setTimeout(r, ms));
        log.push(`wait ${ms}`);
      } else if (op === 'reconcile') {
        await settled();
        const ranAt = Date.now();
        await m.reconciler!.runOnce();
        log.push('reconcile');
        await checkNothingLeft(ranAt);
      } else if (op === 'replay') {
        const leases = await openLeaseBucket(m.broker.nc, LEASE_MS);
        const batchSize = rnd.int(2, 12);
        const report = await replayProjection(
          { db: m.db, broker: m.broker, leases, leaseTtlMs: LEASE_MS, holder: `model-${step}`, now: () => new Date() },
          { projection: catalog.projections.find((p) => p.name === 'drafts')!, batchSize },
        );
        expect(report.status).toBe('finished');
        log.push(`replay /${batchSize}`);
      } else {
        await projector().stop();
        projector().start();
        log.push('restart projector');
      }
      await checkReads();
    }
    expect(model.size).toBeGreaterThan(0);
  });
});
