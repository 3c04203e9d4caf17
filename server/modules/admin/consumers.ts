import { z } from 'zod';
import { STREAMS } from '@mayfly/contracts';
import type { ConsumerInfo } from '@nats-io/jetstream';
import type { Projection } from '../../../consumers/projection/projection.ts';
import { durableName } from '../../../consumers/projector/projector.ts';
import type { Queryable } from '../../platform/db/database.ts';
import type { Broker } from '../../platform/nats/connect.ts';
import { isNoMessageFound } from '../../platform/nats/errors.ts';
import { adminProcedure, noInput } from '../../trpc/trpc.ts';
import { describeStreams, type StreamSummary } from './streams.ts';

/** One durable consumer, and for a projector's the checkpoint it feeds and how far behind that is. */
export const ConsumerSummary = z
  .object({
    stream: z.string(),
    name: z.string(),
    projection: z.string().nullable().meta({ description: 'The projection this consumer feeds (null: a worker or another consumer)' }),
    pending: z.number().meta({ description: 'Messages not yet delivered to the consumer' }),
    ack_pending: z.number().meta({ description: 'Delivered, not yet acknowledged' }),
    redelivered: z.number(),
    delivered_seq: z.number(),
    ack_floor_seq: z.number(),
    checkpoint: z.number().nullable().meta({ description: 'Last stream sequence the projection applied (null: not a projection, or no database)' }),
    lag_messages: z.number().nullable().meta({ description: 'Messages in the stream after the checkpoint' }),
    lag_seconds: z.number().nullable().meta({ description: 'Age of the oldest message after the checkpoint (0: caught up)' }),
    rows: z.number().nullable().meta({ description: 'Rows the projection’s table holds (null: not a projection with a table of its own, or no database)' }),
    rows_estimated: z.boolean().meta({ description: 'rows is the planner’s estimate: the table holds more than 100,000' }),
  })
  .meta({ id: 'ConsumerSummary' });
export type ConsumerSummary = z.infer<typeof ConsumerSummary>;

export interface DescribeConsumersDeps {
  broker: Broker;
  /** Where the checkpoints are; without it the checkpoint columns are null. */
  db: Queryable | undefined;
  projections: readonly Projection[];
  now: Date;
}

/**
 * Every durable consumer of every stream, with the broker's counts, and for each projector the
 * checkpoint it feeds: lag = messages after the checkpoint, and the age of the oldest of them.
 */
export async function describeConsumers(deps: DescribeConsumersDeps): Promise<ConsumerSummary[]> {
  const { broker, db, now } = deps;
  const streams = new Map((await describeStreams(broker.jsm, now)).map((s) => [s.name, s]));
  const byDurable = new Map(deps.projections.map((p) => [durableName(p.name), p]));
  const checkpoints = new Map<string, number>();
  if (db) {
    const rows = await db.query<{ projection: string; stream: string; last_seq: number }>('SELECT projection, stream, last_seq FROM projection_checkpoints');
    for (const r of rows) checkpoints.set(`${r.projection}/${r.stream}`, r.last_seq);
  }
  const out: ConsumerSummary[] = [];
  for (const stream of streams.values()) {
    if (stream.consumers === 0) continue;
    for await (const ci of broker.jsm.consumers.list(stream.name)) {
      // Ephemeral consumers (ordered readers: tail, replays) come and go: only durables feed anything.
      if (!ci.config.durable_name) continue;
      const projection = byDurable.get(ci.name);
      const owned = projection && STREAMS[projection.stream].name === stream.name ? projection : undefined;
      const checkpoint = owned ? (checkpoints.get(`${owned.name}/${stream.name}`) ?? (db ? 0 : null)) : null;
      const held = owned?.table && db ? await rowsOf(db, owned.table) : { rows: null, rows_estimated: false };
      out.push({ ...counts(ci, stream.name), projection: owned?.name ?? null, checkpoint, ...(await lag(broker, stream, checkpoint, now)), ...held });
    }
  }
  return out.sort((a, b) => a.stream.localeCompare(b.stream) || a.name.localeCompare(b.name));
}

/** Counting is exact up to this many rows; above it the planner's estimate stands in (a dashboard polls every few seconds). */
const EXACT_UP_TO = 100_000;

/** How many rows a projection's table holds: exact while few, else estimated. */
async function rowsOf(db: Queryable, table: string): Promise<{ rows: number; rows_estimated: boolean }> {
  const name = `"${table.replaceAll('"', '""')}"`;
  const [exact] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM (SELECT 1 FROM ${name} LIMIT ${EXACT_UP_TO + 1}) s`);
  if ((exact?.n ?? 0) <= EXACT_UP_TO) return { rows: exact?.n ?? 0, rows_estimated: false };
  const [estimate] = await db.query<{ n: number }>('SELECT greatest(reltuples, 0)::bigint::float8 AS n FROM pg_class WHERE oid = to_regclass($1)', [table]);
  return { rows: Math.max(EXACT_UP_TO + 1, Math.round(estimate?.n ?? 0)), rows_estimated: true };
}

function counts(ci: ConsumerInfo, stream: string) {
  return {
    stream,
    name: ci.name,
    pending: ci.num_pending,
    ack_pending: ci.num_ack_pending,
    redelivered: ci.num_redelivered,
    delivered_seq: ci.delivered.stream_seq,
    ack_floor_seq: ci.ack_floor.stream_seq,
  };
}

async function lag(broker: Broker, stream: StreamSummary, checkpoint: number | null, now: Date) {
  if (checkpoint === null) return { lag_messages: null, lag_seconds: null };
  // Sequences below first_seq have left the stream: they are nothing to catch up on.
  const behind = Math.max(0, stream.last_seq - Math.max(checkpoint, stream.first_seq - 1));
  if (behind === 0 || stream.messages === 0) return { lag_messages: 0, lag_seconds: 0 };
  try {
    const oldest = await broker.jsm.direct.getMessage(stream.name, { seq: checkpoint + 1, next_by_subj: '>' });
    const seconds = oldest ? Math.max(0, (now.getTime() - oldest.time.getTime()) / 1000) : 0;
    return { lag_messages: behind, lag_seconds: Math.round(seconds * 1000) / 1000 };
  } catch (err) {
    if (isNoMessageFound(err)) return { lag_messages: behind, lag_seconds: 0 };
    throw err;
  }
}

/** `admin.consumers`: GET /api/v1/admin/consumers. */
export const consumersProcedure = adminProcedure
  .meta({ openapi: { method: 'GET', path: '/admin/consumers', tags: ['admin'], summary: 'Durable consumers: pending, redelivered, and each projection’s checkpoint and lag', protect: true } })
  .input(noInput)
  .output(z.object({ items: z.array(ConsumerSummary) }))
  .query(async ({ ctx }) => {
    const s = ctx.services;
    return { items: await describeConsumers({ broker: s.broker, db: s.db, projections: s.catalog.projections, now: s.now() }) };
  });
