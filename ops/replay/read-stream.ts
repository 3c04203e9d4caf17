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
  const it = messages[Symbol.asyncIterator]();
  let next: Promise<IteratorResult<JsMsg>> | undefined;
  let batch: JsMsg[] = [];
  try {
    for (;;) {
      if (o.signal?.aborted) return; // what is not applied is read again on resume
      next ??= it.next();
      const r = await withIdleTimeout(next);
      if (r === 'idle') {
        // Messages counted as pending can vanish before delivery (purged, expired): ask.
        if ((await consumer.info()).num_pending === 0) break;
        continue;
      }
      next = undefined;
      if (r.done) break;
      const m = r.value;
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
    if (batch.length > 0) yield { msgs: batch, pending: 0 };
  } finally {
    messages.stop();
  }
}

async function withIdleTimeout<T>(p: Promise<T>): Promise<T | 'idle'> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const idle = new Promise<'idle'>((resolve) => (timer = setTimeout(() => resolve('idle'), IDLE_CHECK_MS)));
  try {
    return await Promise.race([p, idle]);
  } finally {
    clearTimeout(timer);
  }
}
