import { DeliverPolicy, type Consumer, type JsMsg, type OrderedConsumerOptions } from '@nats-io/jetstream';
import type { Broker } from '../../server/platform/nats/connect.ts';

export interface ReadOptions {
  stream: string;
  /** Subject filter; unset reads the whole stream. */
  filter?: string | undefined;
  fromSeq: number;
  /** Last sequence to read (inclusive); unset reads to the head. */
  toSeq?: number | undefined;
  batchSize: number;
  /** Stop (after a whole batch) once fewer than this many messages wait behind it. */
  stopWhenPendingBelow?: number | undefined;
  signal?: AbortSignal | undefined;
}

/** A run of messages in stream order, and how many matching messages were behind the last one. */
export interface ReadBatch {
  msgs: JsMsg[];
  pending: number;
}

/** How long a read waits for a message it was told exists before asking the server again. */
const IDLE_CHECK_MS = 2_000;

/**
 * Reads a stream in order through an ordered consumer (ephemeral, flow-controlled, recreated by
 * the client on a gap): batches of up to `batchSize`, ending at `toSeq`, at the head (nothing
 * pending), or when `stopWhenPendingBelow` says it is close enough to the head.
 */
export async function* readStream(broker: Broker, o: ReadOptions): AsyncGenerator<ReadBatch> {
  if (o.toSeq !== undefined && o.toSeq < o.fromSeq) return;
  const opts: Partial<OrderedConsumerOptions> = { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: Math.max(1, o.fromSeq) };
  if (o.filter) opts.filter_subjects = o.filter;
  const consumer = await broker.js.consumers.get(o.stream, opts);
  try {
    if ((await consumer.info(true)).num_pending === 0) return;
    yield* batches(consumer, o);
  } finally {
    await consumer.delete().catch(() => undefined);
  }
}

async function* batches(consumer: Consumer, o: ReadOptions): AsyncGenerator<ReadBatch> {
  const messages = await consumer.consume({ max_messages: Math.min(10_000, o.batchSize * 2) });
  // Messages counted as pending can vanish before delivery (purged, expired): once nothing has
  // come for a while, ask, and end the read when none are left. One timer for the whole read:
  // a timer or a promise race per message costs more than the message (a replay reads millions).
  let moved = performance.now();
  const watchdog = setInterval(() => {
    if (performance.now() - moved < IDLE_CHECK_MS) return;
    moved = performance.now();
    consumer.info().then(
      (info) => info.num_pending === 0 && messages.stop(),
      () => undefined, // asked again at the next check
    );
  }, IDLE_CHECK_MS / 4);
  const stop = () => messages.stop(); // what is not applied is read again on resume
  o.signal?.addEventListener('abort', stop, { once: true });
  let batch: JsMsg[] = [];
  try {
    for await (const m of messages) {
      if (o.signal?.aborted) return;
      moved = performance.now();
      if (o.toSeq !== undefined && m.seq > o.toSeq) break;
      batch.push(m);
      const pending = m.info.pending;
      const end = pending === 0 || (o.toSeq !== undefined && m.seq >= o.toSeq);
      if (batch.length >= o.batchSize || end) {
        yield { msgs: batch, pending };
        batch = [];
        if (end || (o.stopWhenPendingBelow !== undefined && pending < o.stopWhenPendingBelow)) return;
      }
    }
    if (batch.length > 0 && !o.signal?.aborted) yield { msgs: batch, pending: 0 };
  } finally {
    clearInterval(watchdog);
    o.signal?.removeEventListener('abort', stop);
    messages.stop();
  }
}
