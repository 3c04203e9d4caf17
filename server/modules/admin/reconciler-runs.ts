import { z } from 'zod';
import type { Queryable } from '../../platform/db/database.ts';
import { adminProcedure } from '../../trpc/trpc.ts';

/** One reconciler run as recorded in `reconciler_runs`. */
export const ReconcilerRun = z
  .object({
    id: z.number(),
    holder: z.string(),
    started_at: z.iso.datetime(),
    duration_ms: z.number(),
    rows: z.record(z.string(), z.object({ expired: z.number(), source_gone: z.number() })),
    purged: z.record(z.string(), z.object({ subjects: z.number(), messages: z.number() })),
    rows_removed: z.number().meta({ description: 'All rows the run removed (the sum of rows)' }),
    messages_removed: z.number().meta({ description: 'All broker messages the run purged (the sum of purged)' }),
  })
  .meta({ id: 'ReconcilerRun' });
export type ReconcilerRun = z.infer<typeof ReconcilerRun>;

/** The newest `limit` reconciler runs (those started at `since` or later, when given), newest first. */
export async function lastReconcilerRuns(db: Queryable, limit: number, since?: Date): Promise<ReconcilerRun[]> {
  const rows = await db.query<{ id: number; holder: string; started_at: Date; duration_ms: number; report: { rows?: ReconcilerRun['rows']; purged?: ReconcilerRun['purged'] } }>(
    'SELECT id, holder, started_at, duration_ms, report FROM reconciler_runs WHERE started_at >= $2 ORDER BY id DESC LIMIT $1',
    [limit, (since ?? new Date(0)).toISOString()],
  );
  return rows.map((r) => {
    const removed = r.report.rows ?? {};
    const purged = r.report.purged ?? {};
    return {
      id: r.id,
      holder: r.holder,
      started_at: new Date(r.started_at).toISOString(),
      duration_ms: r.duration_ms,
      rows: removed,
      purged,
      rows_removed: Object.values(removed).reduce((n, t) => n + t.expired + t.source_gone, 0),
      messages_removed: Object.values(purged).reduce((n, p) => n + p.messages, 0),
    };
  });
}

/** `admin.reconcilerRuns`: GET /api/v1/admin/reconciler/runs. */
export const reconcilerRunsProcedure = adminProcedure
  .meta({ openapi: { method: 'GET', path: '/admin/reconciler/runs', tags: ['admin'], summary: 'The reconciler’s last runs and what each removed (since: only those started then or later; the last 1,500 are kept, a day at the default interval)', protect: true } })
  .input(
    z.strictObject({
      limit: z.coerce.number().int().min(1).max(1_500).default(20),
      since: z.iso.datetime({ offset: true }).optional().meta({ description: 'e.g. 24 hours ago, for a chart of the last day' }),
    }),
  )
  .output(z.object({ items: z.array(ReconcilerRun) }))
  .query(async ({ ctx, input }) => ({ items: await lastReconcilerRuns(ctx.services.db, input.limit, input.since === undefined ? undefined : new Date(input.since)) }));
