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
  })
  .meta({ id: 'ReconcilerRun' });
export type ReconcilerRun = z.infer<typeof ReconcilerRun>;

/** The newest `limit` reconciler runs, newest first. */
export async function lastReconcilerRuns(db: Queryable, limit: number): Promise<ReconcilerRun[]> {
  const rows = await db.query<{ id: number; holder: string; started_at: Date; duration_ms: number; report: { rows?: ReconcilerRun['rows']; purged?: ReconcilerRun['purged'] } }>(
    'SELECT id, holder, started_at, duration_ms, report FROM reconciler_runs ORDER BY id DESC LIMIT $1',
    [limit],
  );
  return rows.map((r) => ({
    id: r.id,
    holder: r.holder,
    started_at: new Date(r.started_at).toISOString(),
    duration_ms: r.duration_ms,
    rows: r.report.rows ?? {},
    purged: r.report.purged ?? {},
  }));
}

/** `admin.reconcilerRuns`: GET /api/v1/admin/reconciler/runs. */
export const reconcilerRunsProcedure = adminProcedure
  .meta({ openapi: { method: 'GET', path: '/admin/reconciler/runs', tags: ['admin'], summary: 'The reconciler’s last runs and what each removed', protect: true } })
  .input(z.strictObject({ limit: z.coerce.number().int().min(1).max(500).default(20) }))
  .output(z.object({ items: z.array(ReconcilerRun) }))
  .query(async ({ ctx, input }) => ({ items: await lastReconcilerRuns(ctx.services.db, input.limit) }));
