import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Metrics } from '../../platform/metrics.ts';
import { adminProcedure, noInput } from '../../trpc/trpc.ts';
import { instanceState } from '../module.ts';

/** This API instance's calls so far: two samples of the same instance make a rate. */
export const Traffic = z
  .object({
    instance: z.string().meta({ description: 'A random id of the answering API instance (behind a load balancer, samples of different instances do not subtract)' }),
    at: z.iso.datetime(),
    reads_total: z.number().meta({ description: 'Queries apps made of this instance since it started' }),
    writes_total: z.number().meta({ description: 'Mutations apps made of this instance since it started' }),
  })
  .meta({ id: 'Traffic' });
export type Traffic = z.infer<typeof Traffic>;

const instance = instanceState(() => randomBytes(6).toString('hex'));

/** The procedure-call counters of this process, by kind. */
export async function procedureTotals(metrics: Metrics): Promise<{ reads: number; writes: number }> {
  const { values } = await metrics.procedureCalls.get();
  const sum = (kind: string) => values.filter((v) => v.labels.kind === kind).reduce((n, v) => n + v.value, 0);
  return { reads: sum('query'), writes: sum('mutation') };
}

/** `admin.traffic`: GET /api/v1/admin/traffic. */
export const trafficProcedure = adminProcedure
  .meta({ openapi: { method: 'GET', path: '/admin/traffic', tags: ['admin'], summary: 'This instance’s read and write calls so far (sample twice for a rate)', protect: true } })
  .input(noInput)
  .output(Traffic)
  .query(async ({ ctx }) => {
    const s = ctx.services;
    const totals = await procedureTotals(s.metrics);
    return { instance: instance(s), at: s.now().toISOString(), reads_total: totals.reads, writes_total: totals.writes };
  });
