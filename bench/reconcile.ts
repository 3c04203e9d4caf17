// Reconcile benchmark: 1M expired draft rows hard-deleted by the reconciler (batched by ctid),
// against one plain DELETE of the same rows in the same run, with the read path's latency
// (GET /api/v1/drafts/{id} on a live service) measured during each.
//
//   npm run bench -- reconcile [--rows 1000000] [--rounds 3]
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { Reconciler } from '../consumers/reconciler/reconciler.ts';
import { openDatabase } from '../server/platform/db/open.ts';
import { createLogger } from '../server/platform/logger.ts';
import { createMetrics } from '../server/platform/metrics.ts';
import { catalog } from '../server/modules/index.ts';
import { connectBroker } from '../server/platform/nats/connect.ts';
import { createPostgresDatabase } from '../test/support/databases.ts';
import { startTestNats } from '../test/support/nats.ts';
import { spawnMayfly } from '../test/support/process.ts';
import { fmt, loadLoop, median, percentile, table } from './lib.ts';

const { values } = parseArgs({
  options: { rows: { type: 'string', default: '1000000' }, rounds: { type: 'string', default: '3' } },
  allowPositionals: true,
});
const ROWS = Number(values.rows);
const ROUNDS = Number(values.rounds);
const READERS = 8;

const nats = await startTestNats();
const database = await createPostgresDatabase();
const service = await spawnMayfly({ NATS_URL: nats.url, DATABASE_URL: database.url, RECONCILE_INTERVAL_SECONDS: '86400', RATE_LIMITS: JSON.stringify({ '*': '1000000/s' }) });
const log = createLogger('warn');

// Live drafts the readers fetch while the deletes run.
const ids: string[] = [];
for (let i = 0; i < 200; i++) {
  const res = await fetch(`${service.url}/api/v1/drafts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'X-App-ID': 'bench-reader' },
    body: JSON.stringify({ content: `live ${i}`, ttl_seconds: 86_400 }),
  });
  ids.push(((await res.json()) as { id: string }).id);
}

const admin = new pg.Client({ connectionString: database.url });
await admin.connect();

async function seedExpired(): Promise<void> {
  await admin.query(
    `INSERT INTO drafts (tenant, id, content, created_at, expires_at, last_seq)
     SELECT 'bench-expired', gen_random_uuid(), repeat('x', 64), now() - interval '2 days', now() - interval '1 day', 0
     FROM generate_series(1, $1)`,
    [ROWS],
  );
  await admin.query('VACUUM ANALYZE drafts');
}

async function duringReads(work: () => Promise<void>): Promise<{ seconds: number; p50: number; p99: number; reads: number }> {
  const stop = new AbortController();
  let i = 0;
  const reads = loadLoop(READERS, stop.signal, async () => {
    const res = await fetch(`${service.url}/api/v1/drafts/${ids[i++ % ids.length]}`, { headers: { 'X-App-ID': 'bench-reader' } });
    if (res.status !== 200) throw new Error(`read answered ${res.status}`);
    await res.arrayBuffer();
  });
  await new Promise((r) => setTimeout(r, 300)); // readers warm
  const t = performance.now();
  await work();
  const seconds = (performance.now() - t) / 1000;
  stop.abort();
  const lat = await reads;
  return { seconds, p50: percentile(lat, 50), p99: percentile(lat, 99), reads: lat.length };
}

const db = await openDatabase(database.url, '.');
const broker = await connectBroker(nats.url, log);
const reconciler = new Reconciler({ db, broker, log, metrics: createMetrics(), tables: catalog.expiring, holder: 'bench', now: () => new Date() });

const results: { round: number; baseline: Awaited<ReturnType<typeof duringReads>>; reconciler: Awaited<ReturnType<typeof duringReads>> }[] = [];
for (let round = 1; round <= ROUNDS; round++) {
  await seedExpired();
  const baseline = await duringReads(async () => {
    await admin.query('DELETE FROM drafts WHERE expires_at <= now()');
  });
  await seedExpired();
  const rec = await duringReads(async () => {
    const report = await reconciler.runOnce();
    if (report.rows.drafts?.expired !== ROWS) throw new Error(`reconciler removed ${report.rows.drafts?.expired} rows`);
  });
  results.push({ round, baseline, reconciler: rec });
  console.error(`round ${round}: DELETE ${fmt(baseline.seconds, 2)} s, reconciler ${fmt(rec.seconds, 2)} s`);
}

const med = (f: (r: (typeof results)[number]) => number) => median(results.map(f));
const range = (f: (r: (typeof results)[number]) => number) => {
  const v = results.map(f);
  return `${fmt(Math.min(...v), 2)}-${fmt(Math.max(...v), 2)}`;
};
const summary = {
  rows: ROWS,
  rounds: ROUNDS,
  readers: READERS,
  delete_seconds: med((r) => r.baseline.seconds),
  reconciler_seconds: med((r) => r.reconciler.seconds),
  ratio_to_delete: med((r) => r.reconciler.seconds / r.baseline.seconds),
  read_p99_ms_during_delete: med((r) => r.baseline.p99),
  read_p99_ms_during_reconciler: med((r) => r.reconciler.p99),
  read_p50_ms_during_reconciler: med((r) => r.reconciler.p50),
  results,
};
console.log(
  table(
    ['', 'median', 'min-max', 'read p50 ms', 'read p99 ms'],
    [
      ['one DELETE (s)', fmt(summary.delete_seconds, 2), range((r) => r.baseline.seconds), fmt(med((r) => r.baseline.p50)), fmt(summary.read_p99_ms_during_delete)],
      ['reconciler (s)', fmt(summary.reconciler_seconds, 2), range((r) => r.reconciler.seconds), fmt(summary.read_p50_ms_during_reconciler), fmt(summary.read_p99_ms_during_reconciler)],
      ['ratio reconciler / DELETE', fmt(summary.ratio_to_delete, 2), range((r) => r.reconciler.seconds / r.baseline.seconds), '', ''],
    ],
  ),
);
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/reconcile.json', JSON.stringify(summary, null, 2));

await admin.end();
await db.close();
await broker.close();
await service.kill('SIGTERM');
await database.drop();
await nats.stop();
