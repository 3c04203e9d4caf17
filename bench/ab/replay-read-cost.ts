// Where a replay's time goes before anything is written: one stream of N draft events read
// four ways, alternating, each round timed by the wall clock and by this process's CPU:
//   bare    a bare JetStream consume (the replay benchmark's baseline);
//   read    the replay's own reader (ops/replay/read-stream.ts), batches and nothing else;
//   decode  the reader, each message decoded and checked against its schema;
//   plan    the reader, decoded and folded into the rows a batch would write.
// `plan` against `bare` is the most a replay can reach on one thread, with writes free.
// Not part of `npm run bench` (a subfolder): run it by hand.
//
//   node --import tsx bench/ab/replay-read-cost.ts [--events 200000] [--rounds 3]
import { parseArgs } from 'node:util';
import { DeliverPolicy } from '@nats-io/jetstream';
import { catalog } from '../../server/modules/index.ts';
import { readStream } from '../../ops/replay/read-stream.ts';
import { decodeBatch } from '../../ops/replay/decode.ts';
import type { RowProjection } from '../../consumers/projection/row-projection.ts';
import type { DraftEvent } from '@mayfly/contracts';
import type { DraftRow } from '../../server/modules/drafts/projection/index.ts';
import { openBenchStack, publishDraftBacklog } from '../stack.ts';
import { fmt, median, table } from '../lib.ts';

const { values } = parseArgs({ options: { events: { type: 'string', default: '200000' }, rounds: { type: 'string', default: '3' } } });
const EVENTS = Number(values.events);
const ROUNDS = Number(values.rounds);

const stack = await openBenchStack();
const { broker } = stack;
await publishDraftBacklog(stack.events, EVENTS);
const drafts = catalog.projections.find((p) => p.name === 'drafts') as RowProjection<DraftEvent, DraftRow>;
const batches = () => readStream(broker, { stream: 'DRAFTS', fromSeq: 1, batchSize: 2_000 });

const ways: Record<string, () => Promise<void>> = {
  bare: async () => {
    const consumer = await broker.js.consumers.get('DRAFTS', { deliver_policy: DeliverPolicy.All });
    const messages = await consumer.consume({ max_messages: 4_000 });
    for await (const m of messages) if (m.info.pending === 0) break;
    messages.stop();
    await consumer.delete().catch(() => undefined);
  },
  read: async () => {
    for await (const b of batches()) void b;
  },
  decode: async () => {
    for await (const b of batches()) decodeBatch(b.msgs);
  },
  plan: async () => {
    const now = new Date();
    for await (const b of batches()) drafts.plan(decodeBatch(b.msgs).deliveries, now);
  },
};
const wall: Record<string, number[]> = {};
const cpu: Record<string, number[]> = {};
for (let r = 0; r < ROUNDS; r++) {
  for (const [name, way] of Object.entries(ways)) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await way();
    const c = process.cpuUsage(c0);
    (wall[name] ??= []).push(performance.now() - t0);
    (cpu[name] ??= []).push((c.user + c.system) / 1000);
  }
}
const bare = median(wall.bare!);
console.log(
  table(
    ['', 'wall ms (median)', 'CPU us per event', 'events/s', 'ratio to bare'],
    Object.keys(ways).map((name) => {
      const w = median(wall[name]!);
      return [name, fmt(w, 0), fmt((median(cpu[name]!) * 1000) / EVENTS, 1), fmt(EVENTS / (w / 1000), 0), fmt(bare / w, 2)];
    }),
  ),
);
console.log(`${EVENTS} draft events, ${ROUNDS} rounds each, alternating`);
await stack.close();
