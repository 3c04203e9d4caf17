import { z } from 'zod';
import { listParked, retryParked, dropParked } from '../../../consumers/projector/parked.ts';
import { notFound } from '../../platform/errors.ts';
import { adminProcedure, router } from '../../trpc/trpc.ts';

const tags = ['admin'];

const ParkedEvent = z
  .object({
    projection: z.string(),
    stream: z.string(),
    seq: z.number(),
    subject: z.string(),
    tenant: z.string().nullable(),
    error: z.string().meta({ description: 'Why it failed (its last failure), no copy of the event' }),
    attempts: z.number(),
    first_failed_at: z.iso.datetime(),
    last_failed_at: z.iso.datetime(),
  })
  .meta({ id: 'ParkedEvent' });

const Target = z.strictObject({ projection: z.string().min(1).max(64), seq: z.coerce.number().int().positive() });

/** Events projectors could not apply and set aside: list them, apply one again once its cause is fixed, or drop it. */
export const parkedAdminRouter = router({
  list: adminProcedure
    .meta({ openapi: { method: 'GET', path: '/admin/parked', tags, summary: 'Events projections could not apply, parked and skipped', protect: true } })
    .input(z.strictObject({ projection: z.string().max(64).optional() }))
    .output(z.object({ items: z.array(ParkedEvent) }))
    .query(async ({ ctx, input }) => ({ items: await listParked(ctx.services.db, input.projection) })),

  retry: adminProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: '/admin/parked/{projection}/{seq}/retry',
        tags,
        summary: 'Apply a parked event again (after its cause is fixed); 422 when it still fails, 410 when its message has left the stream',
        protect: true,
      },
    })
    .input(Target)
    .output(z.object({ retried: z.literal(true) }))
    .mutation(async ({ ctx, input }) => {
      const s = ctx.services;
      await retryParked({ db: s.db, broker: s.broker, projections: s.catalog.projections, now: s.now }, input.projection, input.seq);
      ctx.log.info({ projection: input.projection, seq: input.seq }, 'applied a parked event');
      return { retried: true as const };
    }),

  drop: adminProcedure
    .meta({ openapi: { method: 'POST', path: '/admin/parked/{projection}/{seq}/drop', tags, summary: 'Forget a parked event: it stays unapplied', protect: true } })
    .input(Target)
    .output(z.object({ dropped: z.literal(true) }))
    .mutation(async ({ ctx, input }) => {
      if (!(await dropParked(ctx.services.db, input.projection, input.seq))) throw notFound('parked event');
      ctx.log.info({ projection: input.projection, seq: input.seq }, 'dropped a parked event');
      return { dropped: true as const };
    }),
});
