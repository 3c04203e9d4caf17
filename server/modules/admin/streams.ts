import { z } from 'zod';
import type { JetStreamManager, StreamInfo } from '@nats-io/jetstream';
import { adminProcedure, noInput } from '../../trpc/trpc.ts';

/** One stream as an operator sees it: what it binds, how long it keeps, what it holds. */
export const StreamSummary = z
  .object({
    name: z.string(),
    subjects: z.array(z.string()),
    retention: z.string().meta({ description: 'limits, workqueue or interest' }),
    max_age_seconds: z.number().meta({ description: '0: kept until deleted' }),
    messages: z.number(),
    bytes: z.number(),
    first_seq: z.number(),
    first_time: z.string().nullable(),
    last_seq: z.number(),
    last_time: z.string().nullable(),
    consumers: z.number(),
    replicas: z.number().meta({ description: 'Copies of the stream kept in the cluster (1 on a single server)' }),
    oldest_age_seconds: z.number().nullable().meta({ description: 'Age of the oldest message held (null: empty); compare with max_age_seconds' }),
  })
  .meta({ id: 'StreamSummary' });
export type StreamSummary = z.infer<typeof StreamSummary>;

/** The summary of one STREAM.INFO answer, ages measured at `now`. */
export function summarizeStream(info: StreamInfo, now: Date = new Date()): StreamSummary {
  const { config, state } = info;
  // An empty stream reports the zero time (0001-01-01) for its first and last message.
  const time = (ts: string) => (state.messages === 0 || ts.startsWith('0001-') ? null : ts);
  return {
    name: config.name,
    subjects: config.subjects ?? [],
    retention: config.retention,
    max_age_seconds: Math.round(config.max_age / 1e9),
    messages: state.messages,
    bytes: state.bytes,
    first_seq: state.first_seq,
    first_time: time(state.first_ts),
    last_seq: state.last_seq,
    last_time: time(state.last_ts),
    consumers: state.consumer_count,
    replicas: config.num_replicas,
    oldest_age_seconds: oldestAge(time(state.first_ts), now),
  };
}

const oldestAge = (first: string | null, now: Date) => (first === null ? null : Math.max(0, Math.round((now.getTime() - Date.parse(first)) / 100) / 10));

/** Every stream on the server (the catalog's and the lease bucket's), by name; ages measured at `now`. */
export async function describeStreams(jsm: JetStreamManager, now: Date = new Date()): Promise<StreamSummary[]> {
  const out: StreamSummary[] = [];
  for await (const info of jsm.streams.list()) out.push(summarizeStream(info, now));
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/** `admin.streams`: GET /api/v1/admin/streams. */
export const streamsProcedure = adminProcedure
  .meta({ openapi: { method: 'GET', path: '/admin/streams', tags: ['admin'], summary: 'Streams: subjects, retention, replicas, messages, bytes, first and last message, age of the oldest', protect: true } })
  .input(noInput)
  .output(z.object({ items: z.array(StreamSummary) }))
  .query(async ({ ctx }) => ({ items: await describeStreams(ctx.services.broker.jsm, ctx.services.now()) }));
