import { z } from 'zod';
import type { Services } from '../../trpc/context.ts';
import { adminProcedure, noInput } from '../../trpc/trpc.ts';
import { probeBucket, s3Configured } from '../storage/index.ts';


const Check = z.object({ ok: z.boolean(), latency_ms: z.number(), detail: z.string().optional() });
const HealthDetailed = z.object({
  status: z.enum(['ok', 'degraded']),
  checks: z.object({ postgres: Check, nats: Check, s3: Check.optional() }),
});

async function timed(probe: () => Promise<string | undefined>): Promise<z.infer<typeof Check>> {
  const t = performance.now();
  try {
    const detail = await Promise.race([
      probe(),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timed out after 2 s')), 2_000)),
    ]);
    return { ok: true, latency_ms: Math.round((performance.now() - t) * 10) / 10, ...(detail ? { detail } : {}) };
  } catch (err) {
    return { ok: false, latency_ms: Math.round((performance.now() - t) * 10) / 10, detail: err instanceof Error ? err.message.split('\n')[0] : 'failed' };
  }
}

/** Each dependency checked, with how long it took (S3 only where it is configured). */
export async function healthDetailed(s: Services): Promise<z.infer<typeof HealthDetailed>> {
  const [postgres, nats, s3] = await Promise.all([
    timed(async () => {
      await s.db.query('SELECT 1');
      return s.db.kind;
    }),
    timed(async () => {
      await s.broker.jsm.getAccountInfo();
      return `nats-server ${s.broker.serverVersion}`;
    }),
    s3Configured(s.config) ? timed(() => probeBucket(s.config)) : Promise.resolve(undefined),
  ]);
  const ok = postgres.ok && nats.ok && (s3?.ok ?? true);
  return { status: ok ? 'ok' : 'degraded', checks: { postgres, nats, ...(s3 ? { s3 } : {}) } };
}

/** `admin.healthDetailed`: GET /api/v1/admin/health-detailed. */
export const healthDetailedProcedure = adminProcedure
  .meta({ openapi: { method: 'GET', path: '/admin/health-detailed', tags: ['admin'], summary: 'Each dependency checked', protect: true } })
  .input(noInput)
  .output(HealthDetailed)
  .query(({ ctx }) => healthDetailed(ctx.services));
