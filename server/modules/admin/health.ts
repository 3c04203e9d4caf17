import { z } from 'zod';
import type { Services } from '../../trpc/context.ts';
import { adminProcedure, noInput } from '../../trpc/trpc.ts';
import { probeBucket, s3Configured } from '../storage/index.ts';


const Check = z.object({ ok: z.boolean(), latency_ms: z.number(), detail: z.string().optional() });
const NatsCheck = Check.extend({
  server_version: z.string().meta({ description: 'Version of the nats-server this instance is connected to' }),
  cluster_name: z.string().nullable().meta({ description: 'null: a single server' }),
  cluster_size: z.number().meta({ description: 'Servers holding the streams (their leaders and replicas; 1: a single server)' }),
});
const HealthDetailed = z.object({
  status: z.enum(['ok', 'degraded']),
  checks: z.object({ postgres: Check, nats: NatsCheck, s3: Check.optional() }),
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
  let members: Awaited<ReturnType<typeof cluster>> | undefined;
  const [postgres, nats, s3] = await Promise.all([
    timed(async () => {
      await s.db.query('SELECT 1');
      return s.db.kind;
    }),
    timed(async () => {
      await s.broker.jsm.getAccountInfo();
      members = await cluster(s);
      return `nats-server ${members.server_version}`;
    }),
    s3Configured(s.config) ? timed(() => probeBucket(s.config)) : Promise.resolve(undefined),
  ]);
  const ok = postgres.ok && nats.ok && (s3?.ok ?? true);
  return { status: ok ? 'ok' : 'degraded', checks: { postgres, nats: { ...nats, ...(members ?? { server_version: s.broker.serverVersion, cluster_name: null, cluster_size: 1 }) }, ...(s3 ? { s3 } : {}) } };
}

/**
 * The server this instance is connected to, from its INFO (current after a reconnect), and the
 * cluster's servers as the streams name them (each stream's leader and replicas): a server's
 * INFO gossips its members' client URLs, but one URL per network interface, not per server.
 */
async function cluster(s: Services) {
  const info = s.broker.nc.info;
  const servers = new Set<string>();
  if (info?.cluster) {
    for await (const stream of s.broker.jsm.streams.list()) {
      if (stream.cluster?.leader) servers.add(stream.cluster.leader);
      for (const peer of stream.cluster?.replicas ?? []) servers.add(peer.name);
    }
  }
  return {
    server_version: info?.version ?? s.broker.serverVersion,
    cluster_name: info?.cluster ?? null,
    cluster_size: Math.max(1, servers.size),
  };
}

/** `admin.healthDetailed`: GET /api/v1/admin/health-detailed. */
export const healthDetailedProcedure = adminProcedure
  .meta({ openapi: { method: 'GET', path: '/admin/health-detailed', tags: ['admin'], summary: 'Each dependency checked', protect: true } })
  .input(noInput)
  .output(HealthDetailed)
  .query(({ ctx }) => healthDetailed(ctx.services));
