import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { STREAMS } from '@mayfly/contracts';
import { checkpointSubject, readCheckpoint } from '../consumers/read-side/checkpoints.ts';
import { openLeaseBucket } from '../consumers/jobs/lease.ts';
import { durableName } from '../consumers/projector/projector.ts';
import { workerDurable } from '../consumers/worker.ts';
import type { Database, Queryable } from '../server/platform/db/database.ts';
import { openDatabase } from '../server/platform/db/open.ts';
import { describeConsumers } from '../server/modules/admin/consumers.ts';
import { describeStreams } from '../server/modules/admin/streams.ts';
import { registerTenant } from '../server/modules/admin/registrations.ts';
import { botHandlers, type BotHandler } from '../server/modules/bots/index.ts';
import { catalog } from '../server/modules/index.ts';
import type { EmbeddedNats } from '../server/platform/nats/embedded-server.ts';
import type { Mayfly } from '../server/runtime/start.ts';
import { dryRunReplay } from '../ops/replay/dry-run.ts';
import { abandonReplay, replayProjection, type ReplayOptions } from '../ops/replay/replay.ts';
import { hasKeys, shadowSchema } from '../ops/replay/shadow.ts';
import { DATABASES, testDatabaseUrl, type TestDatabase } from './support/databases.ts';
import { jsonRequest, startTestMayfly } from './support/mayfly.ts';
import { startTestNats } from './support/nats.ts';
import { ROOT } from './support/process.ts';

const ADMIN = 'admin-token-for-ops-tests-0123456789';
const LEASE_MS = 3_000;
const projection = (name: string) => catalog.projections.find((p) => p.name === name)!;

/** Runs the ops CLI as a user does, with only the service's settings in its environment. */
function ops(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(NATS_URL|DATABASE_URL|DATA_DIR|LOG_LEVEL)$/.test(k)));
    execFile('node', ['--import', 'tsx', 'ops/main.ts', ...args], { cwd: ROOT, env: { ...clean, ...env }, timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

const rows = (db: Database, tenant?: string) =>
  db.query<Record<string, unknown>>(
    `SELECT tenant, id::text, content, created_at, expires_at, last_seq FROM drafts ${tenant ? 'WHERE tenant = $1' : ''} ORDER BY tenant, id`,
    tenant ? [tenant] : [],
  );

describe.each(DATABASES)('ops on $name', ({ name, skip }) => {
  let nats: EmbeddedNats;
  let database: TestDatabase;
  let m: Mayfly;
  let taskRuns = 0;
  const rest = (path: string, init: RequestInit = {}) => m.app!.request(`/api/v1${path}`, init);
  const admin = (path: string) => rest(`/admin${path}`, { headers: { Authorization: `Bearer ${ADMIN}` } });
  const createDraft = async (app: string, content: string) => {
    const res = await rest('/drafts', jsonRequest('POST', { content, ttl_seconds: 3_600 }, { 'X-App-ID': app }));
    expect(res.status).toBe(201);
    return ((await res.json()) as { id: string }).id;
  };
  const deps = async () => {
    const leases = await openLeaseBucket(m.broker.nc, LEASE_MS);
    return { db: m.db, broker: m.broker, leases, leaseTtlMs: LEASE_MS, holder: `ops-test-${randomUUID().slice(0, 6)}`, now: () => new Date() };
  };
  const replay = async (o: Omit<ReplayOptions, 'projection'> & { projection?: string }) =>
    replayProjection(await deps(), { batchSize: 50, ...o, projection: projection(o.projection ?? 'drafts') });
  /** Waits until a projection has applied everything in its stream. */
  const settled = async (name = 'drafts', stream = 'DRAFTS') => {
    const last = (await m.broker.jsm.streams.info(stream)).state.last_seq;
    await vi.waitFor(async () => expect(await readCheckpoint(m.db, name, stream)).toBeGreaterThanOrEqual(last), { timeout: 15_000, interval: 50 });
  };

  beforeAll(async () => {
    if (skip) return;
    nats = await startTestNats();
    database = await testDatabaseUrl(name);
    m = await startTestMayfly({ NATS_URL: nats.url, DATABASE_URL: database.url, ADMIN_TOKEN: ADMIN, RECONCILE_INTERVAL_SECONDS: '3600' }, { leaseTtlMs: LEASE_MS });
    const counting: BotHandler = { name: 'counting', context: z.record(z.string(), z.unknown()), example: {}, run: async (ctx) => {
        taskRuns += 1;
        return ctx;
      } };
    botHandlers(m.services).set(counting.name, counting);
  });
  afterAll(async () => {
    await m?.stop();
    await database?.drop();
    await nats?.stop();
  });

  it.skipIf(skip)('shows streams and consumers as the broker and the checkpoints hold them', async () => {
    for (let i = 0; i < 5; i++) await createDraft('ops.inspect', `d${i}`);
    await settled();
    const streams = await describeStreams(m.broker.jsm);
    for (const spec of Object.values(STREAMS)) {
      const info = await m.broker.jsm.streams.info(spec.name);
      expect(streams.find((s) => s.name === spec.name)).toMatchObject({
        subjects: info.config.subjects,
        messages: info.state.messages,
        bytes: info.state.bytes,
        first_seq: info.state.first_seq,
        last_seq: info.state.last_seq,
        max_age_seconds: info.config.max_age / 1e9,
      });
    }
    const consumers = await describeConsumers({ broker: m.broker, db: m.db, projections: catalog.projections, now: new Date() });
    const drafts = consumers.find((c) => c.name === durableName('drafts'))!;
    expect(drafts).toMatchObject({ stream: 'DRAFTS', projection: 'drafts', checkpoint: await readCheckpoint(m.db, 'drafts', 'DRAFTS'), lag_messages: 0, lag_seconds: 0 });
    expect(consumers.find((c) => c.name === workerDurable('bots'))).toMatchObject({ stream: 'BOTS', projection: null, checkpoint: null });

    // The same through the admin API.
    const viaApi = (await (await admin('/streams')).json()) as { items: { name: string; messages: number }[] };
    expect(viaApi.items.find((s) => s.name === 'DRAFTS')?.messages).toBe(streams.find((s) => s.name === 'DRAFTS')?.messages);
    const lag = (await (await admin('/consumers')).json()) as { items: { name: string; checkpoint: number | null }[] };
    expect(lag.items.find((c) => c.name === durableName('drafts'))?.checkpoint).toBe(drafts.checkpoint);
    expect((await rest('/admin/streams')).status).toBe(401);
    // A projection 3 messages behind, seen a minute later: lag in messages and in the age of the oldest.
    const last = (await m.broker.jsm.streams.info('DRAFTS')).state.last_seq;
    const behind: Queryable = { query: async <R,>() => [{ projection: 'drafts', stream: 'DRAFTS', last_seq: last - 3 }] as R[], command: async () => 0, exec: async () => undefined, copyFrom: async () => undefined };
    const later = await describeConsumers({ broker: m.broker, db: behind, projections: catalog.projections, now: new Date(Date.now() + 60_000) });
    const lagging = later.find((c) => c.projection === 'drafts')!;
    expect(lagging).toMatchObject({ checkpoint: last - 3, lag_messages: 3 });
    expect(lagging.lag_seconds).toBeGreaterThanOrEqual(59);
  });

  it.skipIf(skip)('prints streams and consumers from the command line, as JSON for scripts', async () => {
    const env = { NATS_URL: nats.url, ...(name === 'postgres' ? { DATABASE_URL: database.url } : {}) };
    const [s, c] = await Promise.all([ops(['streams', '--json'], env), ops(['consumers', '--json'], env)]);
    expect(s.code, s.stderr).toBe(0);
    const printed = JSON.parse(s.stdout) as { streams: { name: string; messages: number; last_seq: number }[] };
    const info = await m.broker.jsm.streams.info('DRAFTS');
    expect(printed.streams.find((x) => x.name === 'DRAFTS')).toMatchObject({ messages: info.state.messages, last_seq: info.state.last_seq });
    expect(c.code, c.stderr).toBe(0);
    const listed = JSON.parse(c.stdout) as { consumers: { name: string; checkpoint: number | null }[]; checkpoints: boolean };
    // Without the service's Postgres (embedded PGlite can not be shared) the checkpoints are left out, the rest is there.
    expect(listed.checkpoints).toBe(name === 'postgres');
    expect(listed.consumers.find((x) => x.name === durableName('drafts'))?.checkpoint).toBe(
      name === 'postgres' ? await readCheckpoint(m.db, 'drafts', 'DRAFTS') : null,
    );
    const table = await ops(['streams'], env);
    expect(table.stdout).toMatch(/^STREAM\s+SUBJECTS\s+RETENTION/);
    expect(table.stdout).toMatch(/\nDRAFTS\s+drafts\.>\s+limits\s+7d/);
    const noDb = await ops(['replay', 'drafts'], { NATS_URL: nats.url });
    expect(noDb.code).toBe(1);
    expect(noDb.stderr.trim()).toMatch(/^ops: replay needs DATABASE_URL/);
    const [help, s3] = await Promise.all([ops(['replay', '--help'], {}), ops(['s3-lifecycle'], { NATS_URL: nats.url })]);
    expect(help.stdout).toContain('--tenant <app_id>');
    expect(s3.stderr.trim()).toBe('ops: storage is not configured: set S3_BUCKET, S3_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY');
  });

  it.skipIf(skip)('rebuilds a table emptied by hand while a writer keeps writing and reading', async () => {
    const app = `ops.rebuild.${name}`;
    const before: string[] = [];
    const indexDefs = async () =>
      (await m.db.query<{ indexname: string; indexdef: string }>("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'drafts' ORDER BY indexname")).map(
        (i) => `${i.indexname}: ${i.indexdef.replace(/ ON \S+ /, ' ON drafts ')}`,
      );
    const indexesBefore = await indexDefs();
    for (let i = 0; i < 120; i++) before.push(await createDraft(app, `before ${i}`));
    for (const id of before.slice(0, 10)) expect((await rest(`/drafts/${id}`, { method: 'DELETE', headers: { 'X-App-ID': app } })).status).toBe(200);
    await settled();
    await m.db.query('DELETE FROM drafts'); // the accident

    const stop = new AbortController();
    const written: string[] = [];
    const readFailures: number[] = [];
    const writer = (async () => {
      for (let i = 0; !stop.signal.aborted; i++) {
        const id = await createDraft(app, `during ${i}`);
        written.push(id);
        const res = await rest(`/drafts/${id}`, { headers: { 'X-App-ID': app } });
        if (res.status !== 200) readFailures.push(res.status);
      }
    })();
    const report = await replay({ batchSize: 20 });
    await new Promise((r) => setTimeout(r, 200)); // writes go on after the swap too
    stop.abort();
    await writer;
    await settled();

    expect(report.status).toBe('finished');
    expect(written.length).toBeGreaterThan(0);
    expect(readFailures).toEqual([]);
    const ids = (await rows(m.db, app)).map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(ids)).toEqual(new Set([...before.slice(10), ...written]));
    expect(await readCheckpoint(m.db, 'drafts', 'DRAFTS')).toBe((await m.broker.jsm.streams.info('DRAFTS')).state.last_seq);
    // Indexes keep the names migrations gave them.
    const indexes = await m.db.query<{ indexname: string }>("SELECT indexname FROM pg_indexes WHERE tablename = 'drafts' ORDER BY indexname");
    expect(indexes.map((i) => i.indexname)).toEqual(['drafts_by_expiry', 'drafts_by_last_seq', 'drafts_by_tenant_created', 'drafts_pkey']);
    // ... and the same definitions (the shadow builds its secondary indexes after the bulk load).
    expect(await indexDefs()).toEqual(indexesBefore);
    const runs = (await (await admin('/replays')).json()) as { items: { id: number; status: string; progress: number }[] };
    expect(runs.items[0]).toMatchObject({ id: report.run, status: 'finished', progress: 1 });
    const metrics = await (await m.app!.request('/metrics')).text();
    expect(metrics).toMatch(/mayfly_replay_events_total\{projection="drafts"\} [1-9]/);
    expect(metrics).toContain('mayfly_replay_progress_ratio{projection="drafts"} 1');
    expect(metrics).toMatch(/mayfly_projection_lag_messages\{projection="drafts"\} \d/);
  });

  it.skipIf(skip)('resumes a replay stopped half way and ends as an uninterrupted one does', async () => {
    const app = `ops.resume.${name}`;
    for (let i = 0; i < 150; i++) await createDraft(app, `r${i}`);
    await settled();
    const expected = await rows(m.db);
    const stop = new AbortController();
    const first = await replay({ batchSize: 10, signal: stop.signal, onProgress: (p) => p.events >= 60 && stop.abort() });
    expect(first.status).toBe('interrupted');
    const [run] = await m.db.query<{ status: string; events: number }>('SELECT status, events FROM replay_runs WHERE id = $1', [first.run]);
    expect(run?.status).toBe('running');
    expect(await rows(m.db)).toEqual(expected); // the live table is untouched until the swap
    // Loaded in bulk: the shadow takes its keys only once the stream is read.
    expect(await hasKeys(m.db, shadowSchema(first.run), 'drafts')).toBe(false);
    await expect(replay({ fromSeq: 5 })).rejects.toThrow(/unfinished replay/);
    const dry = await dryRunReplay({ db: m.db, broker: m.broker, now: () => new Date() }, { projection: projection('drafts') });
    expect(dry).toMatchObject({ resumes_run: first.run, live_rows: expected.length });
    const second = await replay({ batchSize: 10 });
    expect(second).toMatchObject({ run: first.run, status: 'finished', resumed: true });
    expect(await rows(m.db)).toEqual(expected);

    // Abandoning drops the shadow table.
    const stop2 = new AbortController();
    const third = await replay({ batchSize: 10, signal: stop2.signal, onProgress: () => stop2.abort() });
    expect((await abandonReplay(m.db, 'drafts'))?.id).toBe(third.run);
    expect(await m.db.query("SELECT 1 FROM information_schema.schemata WHERE schema_name = $1", [`mayfly_replay_${third.run}`])).toEqual([]);
  });

  it.skipIf(skip)('resumes a replay stopped while its keys were built, with what was written and deleted since', async () => {
    const app = `ops.keys.${name}`;
    const ids: string[] = [];
    for (let i = 0; i < 40; i++) ids.push(await createDraft(app, `k${i}`));
    await settled();
    const stop = new AbortController();
    const stages: string[] = [];
    const first = await replay({
      signal: stop.signal,
      onProgress: (p) => {
        stages.push(p.stage);
        if (p.stage === 'indexing') stop.abort();
      },
    });
    expect(first.status).toBe('interrupted');
    expect(stages.at(-1)).toBe('indexing');
    expect(await hasKeys(m.db, shadowSchema(first.run), 'drafts')).toBe(true);
    // Meanwhile: three of its drafts deleted, five more written.
    for (const id of ids.slice(0, 3)) expect((await rest(`/drafts/${id}`, { method: 'DELETE', headers: { 'X-App-ID': app } })).status).toBe(200);
    for (let i = 0; i < 5; i++) await createDraft(app, `after ${i}`);
    await settled();
    const expected = await rows(m.db);
    const second = await replay({});
    expect(second).toMatchObject({ run: first.run, status: 'finished', resumed: true });
    expect(await rows(m.db)).toEqual(expected);
  });

  it.skipIf(skip || name !== 'postgres')('resumes after its process is killed', async () => {
    const app = 'ops.killed';
    for (let i = 0; i < 400; i++) await createDraft(app, `k${i}`);
    await settled();
    const expected = await rows(m.db);
    const env = { NATS_URL: nats.url, DATABASE_URL: database.url };
    const child = spawn('node', ['--import', 'tsx', 'ops/main.ts', 'replay', 'drafts', '--batch-size', '5'], { cwd: ROOT, env: { ...process.env, ...env }, stdio: 'ignore' });
    const exited = new Promise((r) => child.once('exit', r));
    await vi.waitFor(
      async () => {
        const [r] = await m.db.query<{ events: number }>("SELECT events FROM replay_runs WHERE status = 'running' AND projection = 'drafts'");
        expect(r?.events ?? 0).toBeGreaterThan(20);
      },
      { timeout: 30_000, interval: 10 },
    );
    child.kill('SIGKILL');
    await exited;
    const [left] = await m.db.query<{ id: number }>("SELECT id FROM replay_runs WHERE status = 'running' AND projection = 'drafts'");
    expect(left).toBeDefined();
    const resumed = await ops(['replay', 'drafts', '--json'], env);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ run: left!.id, resumed: true, status: 'finished' });
    expect(await rows(m.db)).toEqual(expected);
  });

  it.skipIf(skip)('replays bot outputs without running any task again or sending anything', async () => {
    const app = `ops.bots.${name}`;
    for (let i = 0; i < 5; i++) {
      const res = await rest('/bots/execute', jsonRequest('POST', { task_type: 'counting', context: { i } }, { 'X-App-ID': app }));
      expect(((await res.json()) as { status: string }).status).toBe('completed');
    }
    await settled('bot_outputs', 'BOTS');
    const runsBefore = taskRuns;
    const worker = async () => m.broker.jsm.consumers.info('BOTS', workerDurable('bots'));
    const lastSeqs = async () => Promise.all(Object.values(STREAMS).map(async (s) => (await m.broker.jsm.streams.info(s.name)).state.last_seq));
    const [w0, seqs0] = [await worker(), await lastSeqs()];
    const tasks0 = await m.db.query('SELECT tenant, id, status, output FROM bot_tasks ORDER BY tenant, id');
    const report = await replay({ projection: 'bot_outputs' });
    expect(report).toMatchObject({ status: 'finished', projection: 'bot_outputs' });
    await new Promise((r) => setTimeout(r, 300));
    expect(taskRuns).toBe(runsBefore);
    const w1 = await worker();
    // Nothing delivered to the worker again (its consumer_seq counts deliveries; stream_seq also
    // moves when a filtered consumer steps past an outcome message it does not take).
    expect(w1.delivered.consumer_seq).toBe(w0.delivered.consumer_seq);
    expect(w1.num_ack_pending).toBe(0);
    expect(await lastSeqs()).toEqual(seqs0); // nothing published anywhere: no mail queued, no outcome
    expect(await m.db.query('SELECT tenant, id, status, output FROM bot_tasks ORDER BY tenant, id')).toEqual(tasks0);
  });

  it.skipIf(skip)("rebuilds one app's rows only, leaving every other app's alone", async () => {
    const [a, b] = [`ops.tenant-a.${name}`, `ops.tenant-b.${name}`];
    for (let i = 0; i < 30; i++) await createDraft(a, `a${i}`);
    for (let i = 0; i < 5; i++) await createDraft(b, `b${i}`);
    await settled();
    const expectedA = await rows(m.db, a);
    await m.db.query('DELETE FROM drafts WHERE tenant = $1', [a]);
    await m.db.query("UPDATE drafts SET content = 'edited by hand' WHERE tenant = $1", [b]);
    const dry = await dryRunReplay({ db: m.db, broker: m.broker, now: () => new Date() }, { projection: projection('drafts'), appId: a });
    expect(dry).toMatchObject({ events: 30, by_type: { 'draft.saved': 30 }, live_rows: 0, filter: `drafts.${a.replaceAll('.', '~')}.>` });
    const report = await replay({ appId: a });
    expect(report).toMatchObject({ status: 'finished', app_id: a, rows: 30 });
    expect(await rows(m.db, a)).toEqual(expectedA);
    expect((await rows(m.db, b)).every((r) => r.content === 'edited by hand')).toBe(true);
  });

  it.skipIf(skip)('moves a checkpoint that ran ahead of a recreated stream back, and reads wait for the rebuilt projection again', async () => {
    const app = `ops.rewind.${name}`;
    await createDraft(app, 'old');
    await settled();
    const head = (await m.broker.jsm.streams.info('DRAFTS')).state.last_seq;
    // As after the stream was recreated: the checkpoint is far ahead, and this instance's
    // tracker has seen it (one read asks the database), so reads would stop waiting.
    await m.db.query("UPDATE projection_checkpoints SET last_seq = 1000000 WHERE projection = 'drafts'");
    m.broker.nc.publish(checkpointSubject('drafts'), JSON.stringify({ stream: 'DRAFTS', seq: 1_000_000 }));
    await m.broker.nc.flush();
    const report = await replay({});
    expect(report).toMatchObject({ status: 'finished', checkpoint_before: 1_000_000 });
    expect(report.checkpoint).toBeGreaterThanOrEqual(head);
    // A write right after: its read waits until the projector (re-seated after the swap) applied it.
    const id = await createDraft(app, 'new');
    const read = await rest(`/drafts/${id}`, { headers: { 'X-App-ID': app } });
    expect(read.status).toBe(200);
    expect(((await read.json()) as { content: string }).content).toBe('new');
  });

  it.skipIf(skip || name !== 'postgres')('runs the reconciler, and rebuilds from the command line', async () => {
    const env = { NATS_URL: nats.url, DATABASE_URL: database.url };
    const rec = await ops(['reconcile', '--json'], env);
    expect(rec.code, rec.stderr).toBe(0);
    expect(JSON.parse(rec.stdout)).toHaveProperty('rows.drafts');
    const runs = (await (await admin('/reconciler/runs?limit=1')).json()) as { items: { holder: string }[] };
    expect(runs.items[0]?.holder).toMatch(/^ops:/);
    const dry = await ops(['replay', 'drafts', '--dry-run'], env);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/^dry run: would rebuild drafts/);
    const purge = await ops(['purge-tenant', 'some.app'], env);
    expect(purge.code).toBe(1);
    expect(purge.stderr).toMatch(/add --yes/);
    // Registry commands and a purge, with the service's secret: the app's key works, then nothing of it is left.
    const withSecret = { ...env, SECRET_KEY: 'test-secret-key-of-at-least-32-characters' };
    const added = await ops(['tenants', 'add', 'ops.cli.app', '--bundle-ids', 'com.ops.app', '--json'], withSecret);
    expect(added.code, added.stderr).toBe(0);
    const issued = JSON.parse(added.stdout) as { app_id: string; key: string };
    expect(issued.app_id).toBe('ops.cli.app');
    expect(issued.key).toMatch(/^mfk_/);
    await vi.waitFor(() => expect(m.services.tenants.get('ops.cli.app')?.bundleIds).toEqual(['com.ops.app']));
    const updated = await ops(['tenants', 'update', 'ops.cli.app', '--bundle-ids', 'com.ops.app,com.ops.app.widget'], env);
    expect(updated.code, updated.stderr).toBe(0);
    expect(updated.stdout).toContain('bundle ids com.ops.app,com.ops.app.widget');
    await vi.waitFor(() => expect(m.services.tenants.get('ops.cli.app')?.bundleIds).toEqual(['com.ops.app', 'com.ops.app.widget']));
    const badIds = await ops(['tenants', 'update', 'ops.cli.app', '--bundle-ids', 'not a bundle id'], env);
    expect(badIds.code).toBe(1);
    expect(badIds.stderr).toMatch(/--bundle-ids must be distinct reverse-DNS bundle ids/);
    await createDraft('ops.cli.app', 'to be purged');
    const purged = await ops(['purge-tenant', 'ops.cli.app', '--yes', '--json'], withSecret);
    expect(purged.code, purged.stderr).toBe(0);
    expect(JSON.parse(purged.stdout)).toMatchObject({ unregistered: true, messages: { DRAFTS: 1 } });
    await vi.waitFor(() => expect(m.services.tenants.get('ops.cli.app')).toBeUndefined());
    expect(await rows(m.db, 'ops.cli.app')).toEqual([]);
    // App ids must now start and end with a letter or digit; apps registered under the former
    // rule can still be named to be removed and purged (by the CLI and by the admin API).
    const refused = await ops(['tenants', 'add', 'old-app-'], withSecret);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/starting and ending with a letter or digit/);
    for (const old of ['old-app-', 'old.app.']) await registerTenant(m.services, old);
    const oldPurged = await ops(['purge-tenant', 'old-app-', '--yes', '--json'], withSecret);
    expect(oldPurged.code, oldPurged.stderr).toBe(0);
    expect(JSON.parse(oldPurged.stdout)).toMatchObject({ app_id: 'old-app-', unregistered: true });
    const deleted = await rest('/admin/tenants/old.app.?purge=true', { method: 'DELETE', headers: { Authorization: `Bearer ${ADMIN}` } });
    expect(deleted.status).toBe(200);
    await vi.waitFor(() => expect(m.services.tenants.list()).toEqual([]));
    // Its registry events were the last in TENANTS: a registry loading now must not wait for them.
    const listed = await ops(['tenants', 'list', '--json'], withSecret);
    expect(listed.code, listed.stderr).toBe(0);
    expect(JSON.parse(listed.stdout)).toEqual({ items: [] });
    const db = await openDatabase(database.url, '.');
    try {
      expect(await db.query("SELECT 1 FROM replay_runs WHERE status = 'running'")).toEqual([]);
    } finally {
      await db.close();
    }
  }, 120_000); // a dozen runs of the ops CLI, each a Node process of its own
});
