// One app's poison never stops a projection for every app: an event the projection can not
// apply is found, retried, parked and skipped; operators list it and, once its cause is fixed,
// apply it again. Here the cause is a constraint an operator added to the drafts table by
// mistake: the draft that breaks it can not be projected until the constraint is dropped.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readCheckpoint } from '../consumers/read-side/checkpoints.ts';
import type { EmbeddedNats } from '../server/platform/nats/embedded-server.ts';
import type { Mayfly } from '../server/runtime/start.ts';
import { DATABASES, testDatabaseUrl, type TestDatabase } from './support/databases.ts';
import { jsonRequest, startTestMayfly } from './support/mayfly.ts';
import { startTestNats } from './support/nats.ts';
import { ROOT } from './support/process.ts';

const ADMIN = 'admin-token-for-poison-tests-0123456789';
const pg = DATABASES.find((d) => d.name === 'postgres')!;

function ops(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(NATS_URL|DATABASE_URL|DATA_DIR|LOG_LEVEL)$/.test(k)));
    execFile('node', ['--import', 'tsx', 'ops/main.ts', ...args], { cwd: ROOT, env: { ...clean, ...env }, timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

describe.skipIf(pg.skip)('a poison event in a projection (PostgreSQL)', () => {
  let nats: EmbeddedNats;
  let database: TestDatabase;
  let m: Mayfly;
  const rest = (path: string, init: RequestInit = {}) => m.app!.request(`/api/v1${path}`, init);
  const admin = (path: string, method = 'GET') => rest(`/admin${path}`, { method, headers: { Authorization: `Bearer ${ADMIN}` } });
  const applied = async () => (await m.metrics.eventsApplied.get()).values.find((v) => v.labels.projection === 'drafts')?.value ?? 0;

  beforeAll(async () => {
    nats = await startTestNats();
    database = await testDatabaseUrl('postgres');
    m = await startTestMayfly({ NATS_URL: nats.url, DATABASE_URL: database.url, ADMIN_TOKEN: ADMIN, RECONCILE_INTERVAL_SECONDS: '3600' });
  });
  afterAll(async () => {
    await m?.stop();
    await database?.drop();
    await nats?.stop();
  });

  it('applies the other 999 of a 1,000-event backlog once and in order, parks the poison, and applies it on retry once fixed', { timeout: 120_000 }, async () => {
    const app = `poison-${randomUUID().slice(0, 6)}`;
    const projector = m.projectors.find((p) => p.projection.name === 'drafts')!;
    await m.db.query("ALTER TABLE drafts ADD CONSTRAINT no_poison CHECK (content <> 'poison')");
    await projector.stop(); // a backlog builds up
    const before = await applied();
    const ids: string[] = [];
    for (let i = 0; i < 1_000; i++) {
      const res = await rest('/drafts', jsonRequest('POST', { content: i === 500 ? 'poison' : `draft ${i}`, ttl_seconds: 3_600 }, { 'X-App-ID': app }));
      expect(res.status).toBe(201);
      ids.push(((await res.json()) as { id: string }).id);
    }
    const head = (await m.broker.jsm.streams.info('DRAFTS')).state.last_seq;
    projector.start();
    await vi.waitFor(async () => expect(await readCheckpoint(m.db, 'drafts', 'DRAFTS')).toBe(head), { timeout: 60_000, interval: 100 });

    // The other 999: each once, each with its own content, in stream order.
    expect(await applied()).toBe(before + 999);
    const rows = await m.db.query<{ id: string; content: string; last_seq: number }>('SELECT id::text, content, last_seq FROM drafts WHERE tenant = $1 ORDER BY last_seq', [app]);
    expect(rows).toHaveLength(999);
    expect(rows.map((r) => r.id)).toEqual(ids.filter((_, i) => i !== 500));
    expect(rows.every((r, i) => r.content === `draft ${i < 500 ? i : i + 1}`)).toBe(true);

    // Parked: listed by the admin route and the ops command, counted, and the lag is back to 0.
    const listed = (await (await admin('/parked')).json()) as { items: { projection: string; seq: number; tenant: string; error: string; attempts: number }[] };
    expect(listed.items).toHaveLength(1);
    const poison = listed.items[0]!;
    expect(poison).toMatchObject({ projection: 'drafts', tenant: app, attempts: 3 });
    expect(poison.error).toContain('no_poison');
    expect(JSON.stringify(listed)).not.toContain('poison"'); // the error names the constraint; the content is nowhere
    const cli = await ops(['parked', 'list', '--json'], { NATS_URL: nats.url, DATABASE_URL: database.url });
    expect(cli.code, cli.stderr).toBe(0);
    expect((JSON.parse(cli.stdout) as { items: { seq: number }[] }).items.map((p) => p.seq)).toEqual([poison.seq]);
    expect((await m.metrics.projectionParked.get()).values.find((v) => v.labels.projection === 'drafts')?.value).toBe(1);
    const consumers = (await (await admin('/consumers')).json()) as { items: { projection: string | null; lag_messages: number | null }[] };
    expect(consumers.items.find((c) => c.projection === 'drafts')?.lag_messages).toBe(0);

    // Reads of the app go on meanwhile.
    expect((await rest(`/drafts/${ids[999]}`, { headers: { 'X-App-ID': app } })).status).toBe(200);

    // A retry while the cause is still there fails, and says why; once fixed, it applies.
    const early = await admin(`/parked/drafts/${poison.seq}/retry`, 'POST');
    expect(early.status).toBe(422);
    expect(((await early.json()) as { error: { message: string } }).error.message).toContain('no_poison');
    await m.db.query('ALTER TABLE drafts DROP CONSTRAINT no_poison');
    const retried = await admin(`/parked/drafts/${poison.seq}/retry`, 'POST');
    expect(retried.status).toBe(200);
    expect(await m.db.query('SELECT content FROM drafts WHERE id = $1', [ids[500]])).toEqual([{ content: 'poison' }]);
    expect(((await (await admin('/parked')).json()) as { items: unknown[] }).items).toEqual([]);
    expect((await admin(`/parked/drafts/${poison.seq}/drop`, 'POST')).status).toBe(404);
  });
});
