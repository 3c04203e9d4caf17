import { CheckpointTracker } from '../consumers/read-side/checkpoints.ts';
import type { Services } from '../server/trpc/context.ts';
import { ReadConsistency } from '../consumers/read-side/consistency.ts';
import { EventPublisher } from '../server/platform/events/publisher.ts';
import { createMetrics } from '../server/platform/metrics.ts';
import { catalog } from '../server/modules/index.ts';
import type { TenantAdminDeps } from '../server/modules/admin/registrations.ts';
import { TenantRegistry } from '../consumers/tenant-registry.ts';
import type { Ops } from './context.ts';

/**
 * What the app registry commands need: the live registry (loaded from TENANTS), a publisher and
 * the server secret (keys are stored as HMACs under it). No database: registry events live in
 * the broker only.
 */
export async function tenantAdminDeps(ops: Ops, command: string, opts: { secret: boolean }): Promise<TenantAdminDeps & { registry: TenantRegistry }> {
  const broker = await ops.broker();
  const secretKey = opts.secret ? await ops.secretKey(command) : new Uint8Array();
  const tenants = new TenantRegistry(broker, ops.log);
  await tenants.start();
  ops.onClose(async () => tenants.stop());
  return {
    broker,
    registry: tenants,
    tenants,
    // Stream capabilities only matter for per-message TTLs, which registry events never have.
    events: new EventPublisher(broker, createMetrics(), new Map()),
    // Only `lastSequence` (a direct get) is used: no projection is waited on, so the tracker never starts.
    consistency: new ReadConsistency(broker, new CheckpointTracker(broker.nc, undefined as never), 0),
    secretKey,
    now: ops.now,
  };
}

/**
 * A `Services` for the commands that run the service's own code paths (a tenant purge and its
 * modules' hooks).
 */
export async function opsServices(ops: Ops, command: string): Promise<Services> {
  const db = await ops.db(command);
  const broker = await ops.broker();
  const metrics = createMetrics();
  const tenants = new TenantRegistry(broker, ops.log);
  await tenants.start();
  ops.onClose(async () => tenants.stop());
  const services: Services = {
    config: ops.config,
    db,
    events: new EventPublisher(broker, metrics, new Map()),
    consistency: new ReadConsistency(broker, new CheckpointTracker(broker.nc, db), ops.config.READ_YOUR_WRITES_TIMEOUT_MS),
    now: ops.now,
    broker,
    tenants,
    log: ops.log,
    secretKey: new Uint8Array(),
    metrics,
    catalog,
  };
  ops.onClose(async () => {
    for (const m of catalog.modules) await m.close?.(services);
  });
  return services;
}
