// Replay benchmark: a full rebuild of the drafts projection from N draft events (ordered
// consumer, decode + schema check, the bulk load into a shadow table with no keys, progress
// saved per batch, then its keys and indexes and the swap), against a bare JetStream consume of the same stream in the
// same run, with the peak memory of each.
//
//   npm run bench -- replay [--events 1000000] [--batch-size 2000]
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DeliverPolicy } from '@nats-io/jetstream';
import { openLeaseBucket } from '../consumers/jobs/lease.ts';
import { catalog } from '../server/modules/index.ts';
import { replayProjection } from '../ops/replay/replay.ts';
import { openBenchStack, publishDraftBacklog } from './stack.ts';
import { fmt, table } from './lib.ts';

const { values } = parseArgs({
  options: { events: { type: 'string', default: '1000000' }, 'batch-size': { type: 'string', default: '2000' } },
  allowPositionals: true,
});
const EVENTS = Number(values.events);
const BATCH = Number(values['batch-size']);

const stack = await openBenchStack();
const { db, broker, events: publisher } = stack;

const t0 = performance.now();
await publishDraftBacklog(publisher, EVENTS);
const info = await broker.jsm.streams.info('DRAFTS');
console.error(`published ${info.state.messages} events (${fmt(info.state.bytes / 2 ** 20)} MiB) in ${fmt((performance.now() - t0) / 1000)} s`);

/** Runs `work`, sampling the process's resident memory every 50 ms; returns seconds and the peak. */
async function measured(work: () => Promise<void>): Promise<{ seconds: number; peakRssMiB: number; startRssMiB: number }> {
  const startRss = process.memoryUsage().rss;
  let peak = startRss;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  const t = performance.now();
  await work();
  const seconds = (performance.now() - t) / 1000;
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  return { seconds, peakRssMiB: peak / 2 ** 20, startRssMiB: startRss / 2 ** 20 };
}

// Baseline: the bare read of the same stream (ordered consumer, no decode, nothing written).
const bare = await measured(async () => {
  const consumer = await broker.js.consumers.get('DRAFTS', { deliver_policy: DeliverPolicy.All });
  const messages = await consumer.consume({ max_messages: BATCH * 2 });
  let n = 0;
  for await (const m of messages) {
    n += 1;
    if (m.info.pending === 0) break;
  }
  messages.stop();
  await consumer.delete().catch(() => undefined);
  if (n !== info.state.messages) throw new Error(`bare consume read ${n} of ${info.state.messages}`);
});

const leases = await openLeaseBucket(broker.nc, 10_000);
let applied = 0;
// When the stream was read and the keys, indexes and swap began (seconds into the replay).
let readSeconds = 0;
const replayStart = performance.now();
const replay = await measured(async () => {
  const report = await replayProjection(
    { db, broker, leases, leaseTtlMs: 10_000, holder: 'bench', now: () => new Date() },
    {
      projection: catalog.projections.find((p) => p.name === 'drafts')!,
      batchSize: BATCH,
      onProgress: (p) => p.stage === 'indexing' && (readSeconds = (performance.now() - replayStart) / 1000),
    },
  );
  applied = report.events;
  if (report.rows !== EVENTS) throw new Error(`replay left ${report.rows} rows, expected ${EVENTS}`);
});

const summary = {
  events: EVENTS,
  batch_size: BATCH,
  bare_consume_seconds: bare.seconds,
  bare_consume_events_per_second: EVENTS / bare.seconds,
  bare_consume_peak_rss_mib: bare.peakRssMiB,
  replay_seconds: replay.seconds,
  replay_events_per_second: applied / replay.seconds,
  replay_peak_rss_mib: replay.peakRssMiB,
  replay_read_seconds: readSeconds,
  replay_keys_indexes_swap_seconds: replay.seconds - readSeconds,
  replay_rss_before_mib: replay.startRssMiB,
  ratio_replay_to_bare: bare.seconds / replay.seconds,
  database: 'postgres',
};
console.log(
  table(
    ['', 'seconds', 'events/s', 'peak RSS MiB'],
    [
      ['bare JetStream consume', fmt(bare.seconds, 2), fmt(summary.bare_consume_events_per_second, 0), fmt(bare.peakRssMiB, 0)],
      ['replay (shadow + swap)', fmt(replay.seconds, 2), fmt(summary.replay_events_per_second, 0), fmt(replay.peakRssMiB, 0)],
      ['ratio replay / bare (throughput)', fmt(summary.ratio_replay_to_bare, 3), '', ''],
    ],
  ),
);
console.log(
  `${EVENTS} draft events, batch ${BATCH}; RSS before the replay ${fmt(replay.startRssMiB, 0)} MiB; ` +
    `the replay read the stream into the shadow table in ${fmt(readSeconds, 2)} s, then built keys and indexes and swapped in ${fmt(replay.seconds - readSeconds, 2)} s`,
);
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/replay.json', JSON.stringify(summary, null, 2));

await stack.close();
