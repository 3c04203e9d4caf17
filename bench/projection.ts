// Projection benchmark: draft events applied to PostgreSQL per second by the drafts projector
// (durable consumer, decode + schema check, fold, one UNNEST upsert and the checkpoint per
// transaction, acks) from a backlog of N events, against raw UNNEST inserts of the same rows
// (one writer, the same batch size) in the same run; then the event-to-row lag while events
// arrive at a steady rate.
//
//   npm run bench -- projection [--events 200000] [--rounds 3] [--rate 2000] [--seconds 10]
import { mkdirSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { draftSubject } from '@mayfly/contracts';
import { checkpointSubject } from '../consumers/read-side/checkpoints.ts';
import { openLeaseBucket } from '../consumers/jobs/lease.ts';
import { Projector } from '../consumers/projector/projector.ts';
import { newEvent } from '../server/platform/events/publisher.ts';
import { catalog } from '../server/modules/index.ts';
import { openBenchStack } from './stack.ts';
import { fmt, median, percentile, table } from './lib.ts';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '200000' },
    rounds: { type: 'string', default: '3' },
    rate: { type: 'string', default: '2000' },
    seconds: { type: 'string', default: '10' },
  },
  allowPositionals: true,
});
const EVENTS = Number(values.events);
const ROUNDS = Number(values.rounds);
const RATE = Number(values.rate);
const SECONDS = Number(values.seconds);
const BATCH = 1000; // the projector's default batch size
const TENANTS = 50;

const stack = await openBenchStack();
const { log, db, broker, metrics, events } = stack;
const drafts = catalog.projections.find((p) => p.name === 'drafts')!;
const leases = await openLeaseBucket(broker.nc, 10_000);

const content = 'x'.repeat(200);
function draftEvent(i: number) {
  const now = new Date();
  const tenant = `bench-${i % TENANTS}`;
  const id = randomUUID();
  const expires = new Date(now.getTime() + 7 * 86_400_000).toISOString();
  const event = newEvent('draft.saved', tenant, { draft_id: id, content, created_at: now.toISOString(), expires_at: expires }, now);
  return { event, subject: draftSubject(tenant, id) };
}

// The backlog, published as the API publishes (and kept in memory for the baseline's rows).
const backlog = Array.from({ length: EVENTS }, (_, i) => draftEvent(i));
let t = performance.now();
for (let sent = 0; sent < EVENTS; sent += 5_000) {
  await Promise.all(backlog.slice(sent, sent + 5_000).map(({ event, subject }) => events.publish(event, subject)));
}
const lastSeq = (await broker.jsm.streams.info('DRAFTS')).state.last_seq;
console.error(`published ${EVENTS} events in ${fmt((performance.now() - t) / 1000)} s`);

// Baseline: the same rows, inserted with UNNEST in batches of the projector's size, one writer.
await db.exec('CREATE TABLE bench_drafts (LIKE drafts INCLUDING ALL)');
const baseline: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  await db.exec('TRUNCATE bench_drafts');
  t = performance.now();
  for (let i = 0; i < EVENTS; i += BATCH) {
    const rows = backlog.slice(i, i + BATCH).map(({ event }, k) => ({ ...(event.data), tenant: event.tenant, seq: i + k + 1 }));
    await db.query(
      `INSERT INTO bench_drafts (tenant, id, content, created_at, expires_at, last_seq)
       SELECT * FROM unnest($1::text[], $2::uuid[], $3::text[], $4::timestamptz[], $5::timestamptz[], $6::bigint[])`,
      [rows.map((x) => x.tenant), rows.map((x) => x.draft_id), rows.map((x) => x.content), rows.map((x) => x.created_at), rows.map((x) => x.expires_at), rows.map((x) => x.seq)],
    );
  }
  baseline.push(EVENTS / ((performance.now() - t) / 1000));
}

/** Checkpoint announcements (time, seq) of the drafts projection, as they arrive. */
const announced: { at: number; seq: number }[] = [];
broker.nc.subscribe(checkpointSubject(drafts.name), {
  callback: (_err, m) => {
    const { seq } = m.json<{ seq: number }>();
    announced.push({ at: performance.now(), seq });
  },
});
const until = async (seq: number) => {
  while ((announced[announced.length - 1]?.seq ?? 0) < seq) await new Promise((r) => setTimeout(r, 5));
};
const startProjector = () => {
  const p = new Projector(drafts, { broker, db, log, metrics, leases, leaseTtlMs: 10_000, holder: `bench-${randomUUID()}`, now: () => new Date(), batchSize: BATCH });
  p.start();
  return p;
};

// The projector from the backlog: from a checkpoint of 0 to the announcement of the last event.
const projected: number[] = [];
let projector: Projector | undefined;
for (let r = 0; r < ROUNDS; r++) {
  await projector?.stop();
  await db.exec(`TRUNCATE drafts; UPDATE projection_checkpoints SET last_seq = 0 WHERE projection = 'drafts'`);
  announced.length = 0;
  t = performance.now();
  projector = startProjector();
  await until(lastSeq);
  projected.push(EVENTS / ((performance.now() - t) / 1000));
}
const rows = (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM drafts'))[0]!.n;
if (rows !== EVENTS) throw new Error(`the projection holds ${rows} rows, expected ${EVENTS}`);

// Steady load: RATE events/s for SECONDS, each event's lag from its publish to the checkpoint
// announcement (after commit) that covers it.
const published: { at: number; seq: number }[] = [];
const started = performance.now();
let sent = 0;
const inFlight: Promise<void>[] = [];
while (performance.now() - started < SECONDS * 1000) {
  const due = Math.floor(((performance.now() - started) / 1000) * RATE) - sent;
  for (let i = 0; i < due; i++, sent++) {
    const { event, subject } = draftEvent(sent);
    const at = performance.now();
    inFlight.push(events.publish(event, subject).then((ack) => void published.push({ at, seq: ack.seq })));
  }
  await new Promise((r) => setTimeout(r, 2));
}
await Promise.all(inFlight);
await until(Math.max(...published.map((p) => p.seq)));
await projector?.stop();
const lags = published
  .map(({ at, seq }) => {
    let lo = 0;
    let hi = announced.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (announced[mid]!.seq >= seq) hi = mid;
      else lo = mid + 1;
    }
    return announced[lo]!.at - at;
  })
  .sort((a, b) => a - b);
const achieved = sent / ((performance.now() - started) / 1000);

const summary = {
  events: EVENTS,
  batch_size: BATCH,
  rounds: ROUNDS,
  unnest_rows_per_second: { median: median(baseline), runs: baseline },
  projector_events_per_second: { median: median(projected), runs: projected },
  ratio_projector_to_unnest: median(projected) / median(baseline),
  steady: { rate: RATE, seconds: SECONDS, events: sent, lag_ms_p50: percentile(lags, 50), lag_ms_p99: percentile(lags, 99), lag_ms_max: lags[lags.length - 1] ?? Number.NaN },
  database: 'postgres',
};
const range = (xs: number[]) => `${fmt(Math.min(...xs), 0)}-${fmt(Math.max(...xs), 0)}`;
console.log(
  table(
    ['', 'per second (median)', 'min-max', 'ratio'],
    [
      [`raw UNNEST inserts, batches of ${BATCH}`, fmt(median(baseline), 0), range(baseline), '1.00'],
      [`drafts projector from a ${EVENTS}-event backlog`, fmt(median(projected), 0), range(projected), fmt(summary.ratio_projector_to_unnest, 2)],
    ],
  ),
);
console.log(`\nsteady ${fmt(achieved, 0)} events/s for ${SECONDS} s: event-to-row lag p50 ${fmt(summary.steady.lag_ms_p50)} ms, p99 ${fmt(summary.steady.lag_ms_p99)} ms, max ${fmt(summary.steady.lag_ms_max)} ms`);
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/projection.json', JSON.stringify(summary, null, 2));

await stack.close();
