// Reconcile benchmark: 1M expired draft rows hard-deleted by the reconciler (batched by ctid),
// against one plain DELETE of the same rows in the same run, with the read path's latency
// (GET /api/v1/drafts/{id} on a live service) measured during each: reads evenly paced at half
// of the read peak measured first, as for the write path, and the same reads with no cleanup
// running as the baseline of their latency.
//
//   npm run bench -- reconcile [--rows 1000000] [--rounds 3] [--pages 2000]
//
// --pages: heap pages per sweep batch (default: the service's, SWEEP_PAGES).
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { Reconciler, SWEEP_PAGES } from '../consumers/reconciler/reconciler.ts';
import { openDatabase } from '../server/platform/db/open.ts';
import { createLogger } from '../server/platform/logger.ts';
import { createMetrics } from '../server/platform/metrics.ts';
import { catalog } from '../server/modules/index.ts';
import { connectBroker } from '../server/platform/nats/connect.ts';
import { createPostgresDatabase } from '../test/support/databases.ts';
import { startTestNats } from '../test/support/nats.ts';
import { spawnMayfly } from '../test/support/process.ts';
import { fmt, loadLoop, median, pacedLoop, percentile, table } from './lib.ts';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    rounds: { type: 'string', default: '3' },
    pages: { type: 'string', default: String(SWEEP_PAGES) },
  },
  allowPositionals: true,
});
const ROWS = Number(values.rows);
const ROUNDS = Number(values.rounds);
const READERS = 8;
const PAGES = Number(values.pages);

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
  // The seed's dirty pages are written now, not by a checkpoint in the middle of what follows,
  // and reads settle: for about 3 s after a seed of 1M rows they stall (p99 ~220 ms against
  // ~20 ms, measured here), which would land in whatever phase came next.
  await admin.query('CHECKPOINT');
  await new Promise((r) => setTimeout(r, 4_000));
}

const read = async (i: number) => {
  const res = await fetch(`${service.url}/api/v1/drafts/${ids[i % ids.length]}`, { headers: { 'X-App-ID': 'bench-reader' } });
  if (res.status !== 200) throw new Error(`read answered ${res.status}`);
  await res.arrayBuffer();
};

// The read peak with nothing else running (READERS loops, 3 s), then reads at half of it.
const peak = await (async () => {
  const stop = new AbortController();
  let i = 0;
  setTimeout(() => stop.abort(), 3_000);
  const lat = await loadLoop(READERS, stop.signal, () => read(i++));
  return lat.length / 3;
})();
const READ_RATE = Math.round(peak / 2);
console.error(`read peak ${Math.round(peak)}/s; reads paced at ${READ_RATE}/s`);

async function duringReads(work: () => Promise<void>): Promise<{ seconds: number; p50: number; p99: number; reads: number }> {
  const stop = new AbortController();
  let i = 0;
  const reads = pacedLoop(READ_RATE, stop.signal, () => read(i++));
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
const reconciler = new Reconciler({ db, broker, log, metrics: createMetrics(), tables: catalog.expiring, holder: 'bench', now: () => new Date(), sweepPages: PAGES });

type Reads = Awaited<ReturnType<typeof duringReads>>;
const results: { round: number; idle: Reads; baseline: Reads; reconciler: Reads }[] = [];
for (let round = 1; round <= ROUNDS; round++) {
  await seedExpired();
  const idle = await duringReads(() => new Promise((r) => setTimeout(r, 3_000)));
  const baseline = await duringReads(async () => {
    await admin.query('DELETE FROM drafts WHERE expires_at <= now()');
  });
  await seedExpired();
  const rec = await duringReads(async () => {
    const report = await reconciler.runOnce();
    if (report.rows.drafts?.expired !== ROWS) throw new Error(`reconciler removed ${report.rows.drafts?.expired} rows`);
  });
  results.push({ round, idle, baseline, reconciler: rec });
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
  sweep_pages: PAGES,
  read_peak_per_second: Math.round(peak),
  reads_per_second: READ_RATE,
  read_p99_ms_idle: med((r) => r.idle.p99),
  delete_seconds: med((r) => r.baseline.seconds),
  reconciler_seconds: med((r) => r.reconciler.seconds),
  ratio_to_delete: med((r) => r.reconciler.seconds / r.baseline.seconds),
  read_p99_ms_during_delete: med((r) => r.baseline.p99),
  read_p99_ms_during_reconciler: med((r) => r.reconciler.p99),
  read_p50_ms_during_reconciler: med((r) => r.reconciler.p50),
  results,
};
console.log(`sweeps of ${PAGES} heap pages`);
console.log(
  table(
    ['', 'median', 'min-max', `read p50 ms (${READ_RATE}/s)`, 'read p99 ms'],
    [
      ['no cleanup (3 s)', '', '', fmt(med((r) => r.idle.p50)), fmt(summary.read_p99_ms_idle)],
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
