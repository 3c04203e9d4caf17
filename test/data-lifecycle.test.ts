// The rows of docs/data-lifecycle.md that no module's own suite proves: one service per
// database, a real nats-server, s3rver, short bounds and reconciler passes run by hand (the
// service's clock can be moved ahead; the broker's can not, so broker expiry is left to the
// suites that wait for it). Each test writes an app's values, lets them go (TTL, deletion or
// purge) and then looks for them everywhere: every stream the broker has (KV buckets
// included), every table, the bucket, the metrics and the instance's caches.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { randomBytes, randomUUID } from 'node:crypto';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { draftSubject, OBJECT_PREFIX, tenantToken, type StorageUpload } from '@mayfly/contracts';
import { openLeaseBucket } from '../consumers/jobs/lease.ts';
import { abandonReplay, replayProjection } from '../ops/replay/replay.ts';
import { purgeTenant } from '../server/modules/admin/index.ts';
import { hostBreakers } from '../server/modules/bots/index.ts';
import { catalog } from '../server/modules/index.ts';
import type { EmbeddedNats } from '../server/platform/nats/embedded-server.ts';
import type { Mayfly } from '../server/runtime/start.ts';
import { DATABASES, testDatabaseUrl, type TestDatabase } from './support/databases.ts';
import { messagesHolding, rowsHolding } from './support/inspect.ts';
import { capturingLogger, jsonRequest, startTestMayfly } from './support/mayfly.ts';
import { startTestNats } from './support/nats.ts';
import { S3RVER_KEY, startTestS3, type TestS3 } from './support/s3.ts';

const ADMIN = 'admin-token-for-lifecycle-tests-0123';
const METRICS = 'metrics-token-for-lifecycle-tests';
const admin = { Authorization: `Bearer ${ADMIN}` };
const DAY_MS = 86_400_000;

/** Every stream the broker holds, the catalog's and the KV buckets' (`KV_<bucket>`). */
async function allStreams(m: Mayfly): Promise<string[]> {
  const names: string[] = [];
  for await (const s of m.broker.jsm.streams.list()) names.push(s.config.name);
  return names;
}

/** Stream names holding a message whose subject or body contains `needle`. */
async function streamsHolding(m: Mayfly, needle: string): Promise<string[]> {
  const found: string[] = [];
  for (const name of await allStreams(m)) if ((await messagesHolding(m.broker, name, needle)).length > 0) found.push(name);
  return found;
}

/** Keys in the bucket under `prefix` (asked with the SDK, not through Mayfly). */
async function objectsUnder(s3: TestS3, prefix: string): Promise<string[]> {
  const client = new S3Client({ endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: S3RVER_KEY, secretAccessKey: S3RVER_KEY } });
  try {
    const out = await client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: prefix }));
    return (out.Contents ?? []).map((o) => o.Key!);
  } finally {
    client.destroy();
  }
}

describe.each(DATABASES)('data lifecycle on $name', ({ name, skip }) => {
  let nats: EmbeddedNats;
  let database: TestDatabase;
  let s3: TestS3;
  let m: Mayfly;
  /** The service's clock runs ahead of the real one by this much. */
  let ahead = 0;
  const logs = capturingLogger();

  const register = async (app: string, bundleIds: string[] = []) => {
    const res = await m.app!.request('/api/v1/admin/tenants', jsonRequest('POST', { app_id: app, bundle_ids: bundleIds }, admin));
    expect(res.status).toBe(201);
    return { 'X-App-ID': app, Authorization: `Bearer ${((await res.json()) as { key: string }).key}` };
  };
  const post = (path: string, h: Record<string, string>, body: unknown) => m.app!.request(`/api/v1${path}`, jsonRequest('POST', body, h));
  const purge = async (app: string) => {
    const res = await m.app!.request(`/api/v1/admin/tenants/${app}?purge=true`, { method: 'DELETE', headers: admin });
    expect(await res.json()).toEqual({ deleted: true });
  };
  const metricsText = async () => (await m.app!.request('/metrics', { headers: { Authorization: `Bearer ${METRICS}` } })).text();

  beforeAll(async () => {
    if (skip) return;
    nats = await startTestNats();
    database = await testDatabaseUrl(name);
    s3 = await startTestS3();
    m = await startTestMayfly(
      {
        NATS_URL: nats.url,
        DATABASE_URL: database.url,
        TENANCY: 'registered',
        ADMIN_TOKEN: ADMIN,
        METRICS_TOKEN: METRICS,
        // Passes are run by hand below.
        RECONCILE_INTERVAL_SECONDS: '3600',
        AFFILIATE_MAX_CODES_PER_APP: '1',
        ...s3.env,
      },
      { log: logs.log, now: () => new Date(Date.now() + ahead) },
    );
  });
  afterAll(async () => {
    await m?.stop();
    await s3?.stop();
    await database?.drop();
    await nats?.stop();
  });

  it.skipIf(skip)(
    'purge: nothing of an app is left in any stream (KV buckets too), any table, the bucket, the metrics, the registry or its circuit breakers; no log line holds its content',
    { timeout: 60_000 },
    async () => {
      const app = `com.purge_${randomUUID().slice(0, 6)}.app`;
      const h = await register(app, [`com.example.lifecycle${randomUUID().slice(0, 6)}`]);
      const v = {
        draft: `draft-content-${randomUUID()}`,
        bot: `bot-context-${randomUUID()}`,
        subject: `mail-subject-${randomUUID()}`,
        body: `mail-body-${randomUUID()}`,
        to: `r${randomBytes(4).toString('hex')}@example.com`,
        token: randomBytes(32).toString('hex'),
        event: `event-${randomUUID().slice(0, 8)}`,
        idem: `idem-${randomUUID()}`,
      };
      const draft = await post('/drafts', { ...h, 'Idempotency-Key': v.idem }, { content: v.draft });
      expect(draft.status).toBe(201);
      expect((await post('/bots/execute', h, { task_type: 'echo', context: { v: v.bot } })).status).toBe(200);
      expect((await post('/email/send', h, { to: v.to, subject: v.subject, text: v.body })).status).toBe(200);
      const reg = await post('/ios/register-token', h, { token: v.token, environment: 'sandbox' });
      expect(reg.status).toBe(201);
      const { code } = (await (await post('/affiliate/generate', h, { session_id: 's' })).json()) as { code: string };
      expect((await post('/affiliate/conversion', h, { code, event: v.event })).status).toBe(200);
      const up = (await (await post('/storage/uploads', h, { content_type: 'text/plain', content_length: 4 })).json()) as StorageUpload;
      expect((await fetch(up.url, { method: up.method, headers: up.headers, body: 'data' })).status).toBe(200);
      const prefix = `${OBJECT_PREFIX}${tenantToken(app)}/`;
      expect(await objectsUnder(s3, prefix)).toHaveLength(1);
      // Reads settle every projection, so the rows are there before the purge.
      for (const path of ['/drafts', '/bots/tasks', '/affiliate/stats']) expect((await m.app!.request(`/api/v1${path}`, { headers: h })).status).toBe(200);
      expect(await rowsHolding(m.db, app)).toBeGreaterThan(0);
      expect(await streamsHolding(m, tenantToken(app))).toEqual(expect.arrayContaining(['DRAFTS', 'BOTS', 'DEVICES', 'CONVERSIONS', 'UPLOADS', 'TENANTS']));
      expect(await metricsText()).toContain(`tenant="${app}"`);
      hostBreakers(m.services).for(app, 'https://bots.example.com'); // as an `http` task would
      expect(hostBreakers(m.services).holds(app)).toBe(true);

      await purge(app);

      expect(m.services.tenants.get(app)).toBeUndefined();
      expect(hostBreakers(m.services).holds(app)).toBe(false);
      for (const needle of [app, tenantToken(app), ...Object.values(v)]) {
        expect(await streamsHolding(m, needle), needle).toEqual([]);
        expect(await rowsHolding(m.db, needle), needle).toBe(0);
      }
      expect(await objectsUnder(s3, prefix)).toEqual([]);
      await vi.waitFor(async () => expect(await metricsText()).not.toContain(app));
      // Logs keep the app id (access lines) for the operator's log retention, never content.
      const text = logs.text();
      for (const value of [v.draft, v.bot, v.subject, v.body, v.to, v.token]) expect(text, value).not.toContain(value);
    },
  );

  it.skipIf(skip)('removal without purge: TENANTS keeps only that the app was removed, not its key hash, bundle ids or limits', async () => {
    const app = `removed${randomUUID().slice(0, 6)}`;
    const bundle = `com.example.removed${randomUUID().slice(0, 6)}`;
    const res = await m.app!.request('/api/v1/admin/tenants', jsonRequest('POST', { app_id: app, bundle_ids: [bundle], rate_limits: { 'drafts.list': '77/min' } }, admin));
    expect(res.status).toBe(201);
    expect((await m.app!.request(`/api/v1/admin/tenants/${app}/rotate-key`, { method: 'POST', headers: admin })).status).toBe(200);
    expect(await messagesHolding(m.broker, 'TENANTS', `"app_id":"${app}"`)).toHaveLength(2); // registered, key rotated
    expect(await messagesHolding(m.broker, 'TENANTS', bundle)).toHaveLength(1);
    expect((await m.app!.request(`/api/v1/admin/tenants/${app}`, { method: 'DELETE', headers: admin })).status).toBe(200);
    expect(m.services.tenants.get(app)).toBeUndefined();
    const left = await messagesHolding(m.broker, 'TENANTS', `"app_id":"${app}"`);
    expect(left).toHaveLength(1);
    const stored = await m.broker.jsm.streams.getMessage('TENANTS', { seq: left[0]!.seq });
    expect(JSON.parse(new TextDecoder().decode(stored!.data))).toMatchObject({ type: 'tenant.removed', data: { app_id: app } });
    expect(await messagesHolding(m.broker, 'TENANTS', bundle)).toEqual([]);
    expect(await messagesHolding(m.broker, 'TENANTS', '77/min')).toEqual([]);
    // The app can be registered again, and purged.
    await register(app);
    await purge(app);
    expect(await streamsHolding(m, app)).toEqual([]);
  });

  it.skipIf(skip)('purge: an instance forgets the referral codes and event names it admitted for the app, so a re-registered app counts from zero under its cap', async () => {
    const app = `cap${randomUUID().slice(0, 6)}`;
    let h = await register(app);
    const codeOf = async (session: string) => ((await (await post('/affiliate/generate', h, { session_id: session })).json()) as { code: string }).code;
    const [a, b] = [await codeOf('a'), await codeOf('b')];
    expect((await post('/affiliate/conversion', h, { code: a, event: 'signup' })).status).toBe(200);
    expect((await post('/affiliate/conversion', h, { code: b, event: 'signup' })).status).toBe(422); // AFFILIATE_MAX_CODES_PER_APP=1
    await purge(app);
    expect(await rowsHolding(m.db, app)).toBe(0);

    h = await register(app);
    expect((await post('/affiliate/conversion', h, { code: a, event: 'signup' })).status).toBe(200);
    // The code counted again is in the table: the cap holds for the app as it is now.
    expect(await m.db.query("SELECT name FROM affiliate_names WHERE tenant = $1 AND kind = 'code'", [app])).toEqual([{ name: a }]);
    expect((await post('/affiliate/conversion', h, { code: b, event: 'signup' })).status).toBe(422);
    await purge(app);
  });

  it.skipIf(skip)('purge racing a projector: an event the projector fetched before the purge and applies after it leaves no row', async () => {
    const app = `race${randomUUID().slice(0, 6)}`;
    const h = await register(app);
    // The drafts projector takes its time over this app's batch (half a second between fetch and
    // commit, as a loaded machine might): the purge runs meanwhile.
    const drafts = catalog.projections.find((p) => p.name === 'drafts')!;
    const own = Object.getOwnPropertyDescriptor(drafts, 'apply')!;
    const apply = drafts.apply.bind(drafts);
    const token = tenantToken(app);
    let fetched!: () => void;
    const fetchedOne = new Promise<void>((resolve) => (fetched = resolve));
    drafts.apply = async (tx, batch, now) => {
      if (batch.some((d) => d.subject.split('.')[1] === token)) {
        fetched();
        await new Promise((r) => setTimeout(r, 500));
      }
      return apply(tx, batch, now);
    };
    try {
      const content = `raced-${randomUUID()}`;
      expect((await post('/drafts', h, { content })).status).toBe(201);
      await fetchedOne;
      await purgeTenant(m.services, app);
      await new Promise((r) => setTimeout(r, 700));
      expect(await rowsHolding(m.db, content)).toBe(0);
      expect(await rowsHolding(m.db, app)).toBe(0);
    } finally {
      Object.defineProperty(drafts, 'apply', own);
    }
    await purge(app);
  });

  it.skipIf(skip)('replay shadow tables: an interrupted replay’s copy of an item goes at the item’s TTL, as the live row does', async () => {
    const app = `shadow${randomUUID().slice(0, 6)}`;
    const h = await register(app);
    const content = `shadow-content-${randomUUID()}`;
    expect((await post('/drafts', h, { content, ttl_seconds: 2 })).status).toBe(201);
    for (const i of [1, 2]) expect((await post('/drafts', h, { content: `long-lived ${i}` })).status).toBe(201);
    expect((await m.app!.request('/api/v1/drafts', { headers: h })).status).toBe(200); // projected
    const leases = await openLeaseBucket(m.broker.nc, 3_000);
    const stop = new AbortController();
    const drafts = catalog.projections.find((p) => p.name === 'drafts')!;
    const replay = await replayProjection(
      { db: m.db, broker: m.broker, leases, leaseTtlMs: 3_000, holder: 'lifecycle-test', now: () => new Date() },
      { projection: drafts, appId: app, batchSize: 1, signal: stop.signal, onProgress: () => stop.abort() },
    );
    expect(replay.status).toBe('interrupted'); // a replay that died half way: resumable, its shadow kept
    const inShadow = () => m.db.query(`SELECT 1 FROM "mayfly_replay_${replay.run}".drafts WHERE content = $1`, [content]);
    expect(await inShadow()).toHaveLength(1);
    ahead = 3_000;
    try {
      await m.reconciler!.runOnce();
    } finally {
      ahead = 0;
    }
    expect(await rowsHolding(m.db, content)).toBe(0);
    expect(await inShadow()).toHaveLength(0);
    // Copies of live items stay, for the replay to resume with.
    const left = await m.db.query<{ content: string }>(`SELECT content FROM "mayfly_replay_${replay.run}".drafts`);
    for (const { content: c } of left) expect(c).toMatch(/^long-lived/);
    await abandonReplay(m.db, 'drafts');
    await purge(app);
  });

  it.skipIf(skip)('replay shadow tables: a bulk load stopped or dead half way keeps no copy of an item deleted after it was read', async () => {
    const app = `bulkgone${randomUUID().slice(0, 6)}`;
    const h = await register(app);
    const [deleted, kept] = [`deleted-content-${randomUUID()}`, `kept-content-${randomUUID()}`];
    const res = await post('/drafts', h, { content: deleted });
    const { id } = (await res.json()) as { id: string };
    expect((await post('/drafts', h, { content: kept })).status).toBe(201);
    expect((await m.app!.request(`/api/v1/drafts/${id}`, { method: 'DELETE', headers: h })).status).toBe(200);
    expect((await post('/drafts', h, { content: 'after' })).status).toBe(201);
    const leases = await openLeaseBucket(m.broker.nc, 3_000);
    const drafts = catalog.projections.find((p) => p.name === 'drafts')!;
    const deps = { db: m.db, broker: m.broker, leases, leaseTtlMs: 3_000, holder: 'lifecycle-test', now: () => new Date() };
    // Stopped once the deletion is read (save, save, delete: three batches of one).
    const stop = new AbortController();
    const replay = await replayProjection(deps, { projection: drafts, appId: app, batchSize: 1, signal: stop.signal, onProgress: (p) => p.events >= 3 && stop.abort() });
    expect(replay.status).toBe('interrupted');
    const shadow = `"mayfly_replay_${replay.run}"`;
    const holding = async (content: string) => (await m.db.query(`SELECT 1 FROM ${shadow}.drafts WHERE content = $1`, [content])).length;
    expect(await holding(kept)).toBe(1);
    expect(await holding(deleted)).toBe(0);
    // A load that died instead (nothing pruned it): the reconciler prunes it as it expires copies.
    await m.db.query(`INSERT INTO ${shadow}.drafts SELECT tenant, $2::uuid, $3, created_at, expires_at, 1 FROM ${shadow}.drafts WHERE content = $1`, [kept, randomUUID(), deleted]);
    await m.db.query(`INSERT INTO ${shadow}.drafts__gone SELECT tenant, id, 2 FROM ${shadow}.drafts WHERE content = $1`, [deleted]);
    expect(await holding(deleted)).toBe(1);
    await m.reconciler!.runOnce();
    expect(await holding(deleted)).toBe(0);
    expect(await holding(kept)).toBe(1);
    // Resumed, it ends as the live projection is.
    const done = await replayProjection(deps, { projection: drafts, appId: app, batchSize: 1 });
    expect(done).toMatchObject({ run: replay.run, status: 'finished', rows: 2 });
    await purge(app);
  });

  it.skipIf(skip)('idempotency: a deleted item leaves no content in its record; the record (key, body hash) goes at its 24 h', async () => {
    const app = `idem${randomUUID().slice(0, 6)}`;
    const h = await register(app);
    const [content, key] = [`idem-content-${randomUUID()}`, `idem-key-${randomUUID()}`];
    const res = await post('/drafts', { ...h, 'Idempotency-Key': key }, { content });
    const { id } = (await res.json()) as { id: string };
    await vi.waitFor(async () => expect(await rowsHolding(m.db, content)).toBe(2)); // the draft and the stored response
    expect((await m.app!.request(`/api/v1/drafts/${id}`, { method: 'DELETE', headers: h })).status).toBe(200);
    await vi.waitFor(async () => expect(await rowsHolding(m.db, content)).toBe(0));
    expect(await rowsHolding(m.db, key)).toBe(1);
    const retry = await post('/drafts', { ...h, 'Idempotency-Key': key }, { content });
    expect(retry.status).toBe(410);
    // The broker's copies go on the next pass (queued purge), the record once its 24 h are over.
    await m.reconciler!.runOnce();
    expect(await streamsHolding(m, content)).toEqual([]);
    expect(await rowsHolding(m.db, key)).toBe(1);
    ahead = DAY_MS + 1_000;
    try {
      await m.reconciler!.runOnce();
    } finally {
      ahead = 0;
    }
    expect(await rowsHolding(m.db, key)).toBe(0);
  });

  it.skipIf(skip || name !== 'postgres')('rate-limit windows: an app’s counts go when their window has ended and the reconciler has run', async () => {
    const app = `rate${randomUUID().slice(0, 6)}`;
    const h = await register(app);
    expect((await m.app!.request('/api/v1/drafts', { headers: h })).status).toBe(200);
    const windows = () => m.db.query('SELECT 1 FROM rate_windows WHERE starts_with(bucket, $1)', [`app:${app}|`]);
    await vi.waitFor(async () => expect(await windows()).toHaveLength(1));
    await m.reconciler!.runOnce();
    expect(await windows()).toHaveLength(1); // its minute is not over
    ahead = 2 * 60_000;
    try {
      await m.reconciler!.runOnce();
    } finally {
      ahead = 0;
    }
    expect(await windows()).toHaveLength(0);
    expect(await rowsHolding(m.db, app)).toBe(0);
  });

  it.skipIf(skip)('run histories are bounded: the last 1,500 reconciler runs and the last 500 ended replays (running ones are kept)', async () => {
    await m.db.query(
      "INSERT INTO reconciler_runs (holder, started_at, duration_ms, report) SELECT 'x', now(), 0, '{}'::jsonb FROM generate_series(1, 1600)",
    );
    await m.db.query(
      "INSERT INTO replay_runs (projection, stream, app_id, shadow, from_seq, status) SELECT 'drafts', 'DRAFTS', 'app' || i, 'x', 1, 'finished' FROM generate_series(1, 600) i",
    );
    await m.db.query("INSERT INTO replay_runs (projection, stream, shadow, from_seq, status) VALUES ('bot_outputs', 'BOTS', 'y', 1, 'running')");
    await m.reconciler!.runOnce();
    const [runs] = await m.db.query<{ n: number }>('SELECT count(*)::int AS n FROM reconciler_runs');
    expect(runs!.n).toBe(1_500);
    const replays = await m.db.query<{ status: string; n: number }>('SELECT status, count(*)::int AS n FROM replay_runs GROUP BY status ORDER BY status');
    expect(replays).toEqual([
      { status: 'finished', n: 499 },
      { status: 'running', n: 1 },
    ]);
    // The oldest went first.
    expect(await m.db.query("SELECT 1 FROM replay_runs WHERE app_id = 'app1'")).toHaveLength(0);
    await m.db.query("DELETE FROM replay_runs WHERE status = 'running'");
  });

  it.skipIf(skip)('parked events: the record of an event no projection could apply goes when its message leaves the stream', async () => {
    const app = `park${randomUUID().slice(0, 6)}`;
    const h = await register(app);
    const res = await post('/drafts', h, { content: 'parked' });
    const { id } = (await res.json()) as { id: string };
    const subject = draftSubject(app, id);
    const { seq } = (await m.broker.jsm.streams.getMessage('DRAFTS', { last_by_subj: subject }))!;
    await m.db.query(
      "INSERT INTO parked_events (projection, stream, seq, subject, tenant, error, attempts, first_failed_at, last_failed_at) VALUES ('drafts', 'DRAFTS', $1, $2, $3, 'boom', 3, now(), now())",
      [seq, subject, app],
    );
    await m.reconciler!.runOnce();
    expect(await m.db.query('SELECT 1 FROM parked_events WHERE seq = $1', [seq])).toHaveLength(1); // its message is still there
    // The stream's head moves past it, as max-age moves it.
    await m.broker.jsm.streams.purge('DRAFTS', { seq: seq + 1 });
    await m.reconciler!.runOnce();
    expect(await m.db.query('SELECT 1 FROM parked_events WHERE seq = $1', [seq])).toHaveLength(0);
    await purge(app);
    expect(await rowsHolding(m.db, app)).toBe(0);
  });
});
