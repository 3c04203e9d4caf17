import { DeliverPolicy, type OrderedConsumerOptions } from '@nats-io/jetstream';
import type { Broker } from '../../server/platform/nats/connect.ts';

/**
 * The sequence a replay starts at: `--from-seq`, the first message at or after `--since`
 * (matching `filter`), or 1 (the stream's first message, whatever has expired before it).
 */
export async function startSequence(
  broker: Broker,
  stream: string,
  filter: string | undefined,
  from: { seq?: number | undefined; since?: Date | undefined },
): Promise<number> {
  if (from.seq !== undefined) return Math.max(1, from.seq);
  if (!from.since) return 1;
  const opts: Partial<OrderedConsumerOptions> = { deliver_policy: DeliverPolicy.StartTime, opt_start_time: from.since.toISOString() };
  if (filter) opts.filter_subjects = filter;
  const consumer = await broker.js.consumers.get(stream, opts);
  try {
    if ((await consumer.info(true)).num_pending === 0) return (await broker.jsm.streams.info(stream)).state.last_seq + 1;
    const first = await consumer.next({ expires: 5_000 });
    return first?.seq ?? (await broker.jsm.streams.info(stream)).state.last_seq + 1;
  } finally {
    await consumer.delete().catch(() => undefined);
  }
}
