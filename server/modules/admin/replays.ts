import { z } from 'zod';
import type { Queryable } from '../../platform/db/database.ts';
import type { ReplayProgress } from '../../platform/metrics.ts';
import { adminProcedure } from '../../trpc/trpc.ts';

/** One replay as recorded in `replay_runs` (written by `npm run ops -- replay`). */
export const ReplayRun = z
  .object({
    id: z.number(),
    projection: z.string(),
    stream: z.string(),
    app_id: z.string().nullable().meta({ description: 'Set when only this app’s rows were rebuilt' }),
    status: z.enum(['running', 'finished', 'abandoned']),
    from_seq: z.number(),
    last_seq: z.number().meta({ description: 'Last stream sequence applied to the shadow table' }),
    events: z.number().meta({ description: 'Events applied to the shadow table' }),
    pending: z.number().meta({ description: 'Messages still to apply when last measured' }),
    progress: z.number().meta({ description: '0..1' }),
    checkpoint: z.number().nullable().meta({ description: 'The projection checkpoint set by the swap' }),
    started_at: z.iso.datetime(),
    updated_at: z.iso.datetime(),
    finished_at: z.iso.datetime().nullable(),
  })
  .meta({ id: 'ReplayRun' });
export type ReplayRun = z.infer<typeof ReplayRun>;

interface Row {
  id: number;
  projection: string;
  stream: string;
  app_id: string | null;
  status: ReplayRun['status'];
  from_seq: number;
  last_seq: number;
  events: number;
  pending: number;
  checkpoint: number | null;
  started_at: Date;
  updated_at: Date;
  finished_at: Date | null;
}

/** How far a replay has got: 1 once swapped in. */
export const replayRatio = (r: Pick<Row, 'status' | 'events' | 'pending'>) =>
  r.status === 'finished' ? 1 : r.events + r.pending === 0 ? 0 : r.events / (r.events + r.pending);

const iso = (d: Date) => new Date(d).toISOString();

/** The newest `limit` replays, newest first. */
export async function lastReplays(db: Queryable, limit: number): Promise<ReplayRun[]> {
  const rows = await db.query<Row>(
    `SELECT id, projection, stream, app_id, status, from_seq, last_seq, events, pending, checkpoint, started_at, updated_at, finished_at
     FROM replay_runs ORDER BY id DESC LIMIT $1`,
    [limit],
  );
  return rows.map((r) => ({
    ...r,
    progress: Math.round(replayRatio(r) * 10_000) / 10_000,
    started_at: iso(r.started_at),
    updated_at: iso(r.updated_at),
    finished_at: r.finished_at ? iso(r.finished_at) : null,
  }));
}

/** Per projection: events applied by all its recorded replays, and its latest replay's progress (the metrics' source). */
export async function replayProgress(db: Queryable): Promise<ReplayProgress[]> {
  const rows = await db.query<{ projection: string; total: number; status: Row['status']; events: number; pending: number }>(
    `SELECT DISTINCT ON (projection) projection, sum(events) OVER (PARTITION BY projection)::bigint AS total, status, events, pending
     FROM replay_runs ORDER BY projection, id DESC`,
  );
  return rows.map((r) => ({ projection: r.projection, events: r.total, ratio: replayRatio(r) }));
}

/** `admin.replays`: GET /api/v1/admin/replays. */
export const replaysProcedure = adminProcedure
  .meta({ openapi: { method: 'GET', path: '/admin/replays', tags: ['admin'], summary: 'Projection replays: running and finished, with their progress', protect: true } })
  .input(z.strictObject({ limit: z.coerce.number().int().min(1).max(500).default(20) }))
  .output(z.object({ items: z.array(ReplayRun) }))
  .query(async ({ ctx, input }) => ({ items: await lastReplays(ctx.services.db, input.limit) }));
