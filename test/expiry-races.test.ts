// Expiry must never take live data: the scenarios of a review of the event-sourcing core, each
// reproduced against real nats-server and databases. The service's clock is pinned and moved
// by the tests (a draft "expires" when they say so); the broker keeps its own time, in which
// nothing here expires (DRAFTS keeps 7 days).
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

const LEASE_MS = 2_000;

describe.each(DATABASES)('expiry races on $name', ({ name, skip }) => {
  let nats: EmbeddedNats;
  let database: TestDatabase;
  let m: Mayfly;
  let clock = Date.now();
  const headers = (app: string) => ({ 'X-App-ID': app });
  const rest = (path: string, init: RequestInit = {}) => m.app!.request(`/api/v1${path}`, init);
  const create = async (app: string, content: string, ttl: number) => {
    const res = await rest('/drafts', jsonRequest('POST', { content, ttl_seconds: ttl }, headers(app)));
    expect(res.status).toBe(201);
    return ((await res.json()) as { id: string }).id;
  };
  const patch = async (app: string, id: string, body: object) => {
    const res = await rest(`/drafts/${id}`, jsonRequest('PATCH', body, headers(app)));
    expect(res.status).toBe(200);
  };
  const get = (app: string, id: string) => rest(`/drafts/${id}`, { headers: headers(app) });
  const drafts = () => m.projectors.find((p) => p.projection.name === 'drafts')!;
  /** Waits until the drafts projection has applied everything in DRAFTS. */
  const settled = async () => {
    const last = (await m.broker.jsm.streams.info('DRAFTS')).state.last_seq;
    await vi.waitFor(async () => expect(await readCheckpoint(m.db, 'drafts', 'DRAFTS')).toBeGreaterThanOrEqual(last), { timeout: 15_000, interval: 25 });
  };

  beforeAll(async () => {
    if (skip) return;
    nats = await startTestNats();
    database = await testDatabaseUrl(name);
    // The reconciler runs when a test says so (its own schedule: once at start, then hourly).
    m = await startTestMayfly(
      { NATS_URL: nats.url, DATABASE_URL: database.url, RECONCILE_INTERVAL_SECONDS: '3600', READ_YOUR_WRITES_TIMEOUT_MS: '15000' },
      { now: () => new Date(clock), leaseTtlMs: LEASE_MS },
    );
  });
  afterAll(async () => {
    await m?.stop();
    await database?.drop();
    await nats?.stop();
  });

  it.skipIf(skip)('a replay that finds a draft’s first save expired keeps the later save, and its message in the broker', async () => {
    const app = `replay-${randomUUID().slice(0, 6)}`;
    const a = await create(app, 'A, short-lived at first', 6);
    // Enough other drafts that A's create and its update land in different replay batches.
    for (let i = 0; i < 30; i++) await create(`${app}-other`, `other ${i}`, 3_600);
    await patch(app, a, { content: 'A, kept an hour', ttl_seconds: 3_600 });
    await settled();
    clock += 7_000; // A's first save has expired; its update has not
    expect((await get(app, a)).status).toBe(200);

    const leases = await openLeaseBucket(m.broker.nc, LEASE_MS);
    const drafts = catalog.projections.find((p) => p.name === 'drafts')!;
    const report = await replayProjection(
      { db: m.db, broker: m.broker, leases, leaseTtlMs: LEASE_MS, holder: `replay-${randomUUID().slice(0, 6)}`, now: () => new Date(clock) },
      { projection: drafts, batchSize: 10 },
    );
    expect(report.status).toBe('finished');
    await m.reconciler!.runOnce(); // drains whatever the replay queued
    const res = await get(app, a);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id: a, content: 'A, kept an hour' });
    expect(await messagesOn(m.broker, 'DRAFTS', draftSubject(app, a))).toBeGreaterThanOrEqual(1);
  });

  it.skipIf(skip)('a TTL delete that races an update loses to it: the update’s row and message survive', async () => {
    const app = `race-${randomUUID().slice(0, 6)}`;
    const id = await create(app, 'short', 3);
    await settled();
    // The projector falls behind: the update is in the broker, not yet in the table.
    await drafts().stop();
    await patch(app, id, { ttl_seconds: 3_600 });
    clock += 4_000;
    // The reconciler deletes the row as it stands (3 s, expired) and queues the purge of its messages.
    expect((await m.reconciler!.runOnce()).rows.drafts?.expired).toBe(1);
    drafts().start();
    await settled(); // the update's row is back
    await m.reconciler!.runOnce(); // drains the queued purge: below the deleted row's sequence only
    const res = await get(app, id);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id, content: 'short' });
    expect(await messagesOn(m.broker, 'DRAFTS', draftSubject(app, id))).toBe(1);
  });

  it.skipIf(skip)('a deleted draft still leaves the broker, and an expired one too', async () => {
    const app = `gone-${randomUUID().slice(0, 6)}`;
    const deleted = await create(app, 'deleted', 3_600);
    const expired = await create(app, 'expired', 2);
    expect((await rest(`/drafts/${deleted}`, { method: 'DELETE', headers: headers(app) })).status).toBe(200);
    await settled();
    clock += 3_000;
    await m.reconciler!.runOnce();
    await m.reconciler!.runOnce(); // the first run queued the expired draft's purge as it deleted the row
    expect(await messagesOn(m.broker, 'DRAFTS', draftSubject(app, deleted))).toBe(0);
    expect(await messagesOn(m.broker, 'DRAFTS', draftSubject(app, expired))).toBe(0);
    expect((await get(app, deleted)).status).toBe(404);
    expect((await get(app, expired)).status).toBe(404);
  });
});
