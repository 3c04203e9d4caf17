import { join } from 'node:path';
import type { KV } from '@nats-io/kv';
import { CheckpointTracker } from '../../consumers/read-side/checkpoints.ts';
import { holderId, openLeaseBucket } from '../../consumers/jobs/lease.ts';
import { Projector } from '../../consumers/projector/projector.ts';
import type { Config } from '../platform/config.ts';
import type { Services } from '../trpc/context.ts';
import type { Database } from '../platform/db/database.ts';
import { migrate } from '../platform/db/migrate.ts';
import { openDatabase } from '../platform/db/open.ts';
import { ReadConsistency } from '../../consumers/read-side/consistency.ts';
import { EventPublisher } from '../platform/events/publisher.ts';
import { createApp } from '../http/app.ts';
import type { Logger } from '../platform/logger.ts';
import { createMetrics, type Metrics } from '../platform/metrics.ts';
import { expiringTables, migrationSources, modules, projections } from '../modules/index.ts';
import { connectBroker, type Broker } from '../platform/nats/connect.ts';
import { startNatsServer, type EmbeddedNats } from '../platform/nats/embedded-server.ts';
import { provisionStreams, type StreamCapabilities } from '../platform/nats/streams.ts';
import { Reconciler } from '../../consumers/reconciler/reconciler.ts';
import type { StreamName } from '@mayfly/contracts';
import { RollupSealer } from '../modules/affiliate/rollup-sealer.ts';
import { replayProgress } from '../modules/admin/replays.ts';
import { ObjectReaper } from '../modules/storage/object-reaper.ts';
import { loadSecretKey } from '../platform/secret.ts';
import { TenantRegistry } from '../../consumers/tenant-registry.ts';
import { registeredAdmission } from '../http/admission.ts';
import { openAdmission } from '../http/tenant.ts';
import { createRegistry } from '../modules/bots/handlers/registry.ts';
import { WorkerRunner } from '../../consumers/worker.ts';
import type { Module } from '../modules/module.ts';

/** How long a leader's lease lasts without renewal (a crashed leader is replaced after this). */
export const LEASE_TTL_MS = 10_000;

/** A running Mayfly: whatever parts its role asked for, and how to stop them in order. */
export interface Mayfly {
  config: Config;
  db: Database;
  broker: Broker;
  metrics: Metrics;
  services: Services;
  app: ReturnType<typeof createApp> | undefined;
  projectors: Projector[];
  reconciler: Reconciler | undefined;
  /** Seals completed days' conversion totals into ROLLUPS (consumer roles only). */
  sealer: RollupSealer | undefined;
  streams: Map<StreamName, StreamCapabilities>;
  natsServer: EmbeddedNats | undefined;
  /** Stops projectors after their batch in flight, drains NATS, closes the database. */
  stop(): Promise<void>;
}

export interface StartOptions {
  log: Logger;
  now?: () => Date;
  metrics?: Metrics;
  /** Override the lease length (tests use short ones). */
  leaseTtlMs?: number;
}

/**
 * Composition root: opens the database (migrated), the broker (spawned when NATS_URL is
 * unset, streams provisioned), and starts the HTTP app and/or the consumers by ROLE.
 */
export async function startMayfly(config: Config, opts: StartOptions): Promise<Mayfly> {
  const { log } = opts;
  const now = opts.now ?? (() => new Date());
  const secretKey = await loadSecretKey(config);
  const metrics = opts.metrics ?? createMetrics();
  const cleanups: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const c of cleanups.reverse()) await c().catch((err: unknown) => log.warn({ err }, 'shutdown step failed'));
  };
  try {
    let natsServer: EmbeddedNats | undefined;
    let natsUrl = config.NATS_URL;
    if (natsUrl === undefined) {
      natsServer = await startNatsServer({
        bin: config.NATS_SERVER_BIN,
        storeDir: join(config.DATA_DIR, 'nats'),
        onLog: (line) => log.debug({ component: 'nats-server' }, line),
      });
      cleanups.push(() => natsServer!.stop());
      natsUrl = natsServer.url;
      log.info({ url: natsUrl }, 'started embedded nats-server');
    }
    const db = await openDatabase(config.DATABASE_URL, config.DATA_DIR);
    cleanups.push(() => db.close());
    const applied = await migrate(db, migrationSources);
    metrics.replayFeed.read = () => replayProgress(db).catch(() => []);
    if (applied.length > 0) log.info({ migrations: applied }, 'applied migrations');

    const broker = await connectBroker(natsUrl, log, `mayfly-${config.ROLE}`);
    cleanups.push(() => broker.close());
    const streams = await provisionStreams(broker.jsm, config, broker.serverVersion);
    const perMessageTtl = [...streams.values()].some((s) => s.messageTtl);
    log.info({ nats_version: broker.serverVersion, db: db.kind, per_message_ttl: perMessageTtl }, 'connected');

    const tenants = new TenantRegistry(broker, log);
    await tenants.start();
    cleanups.push(async () => tenants.stop());

    const tracker = new CheckpointTracker(broker.nc, db);
    tracker.start();
    cleanups.push(async () => tracker.stop());
    const services: Services = {
      config,
      db,
      now,
      broker,
      tenants,
      tenantPurgeHooks: [],
      botHandlers: createRegistry(config, secretKey, () => services),
      events: new EventPublisher(broker, metrics, streams),
      consistency: new ReadConsistency(broker, tracker, config.READ_YOUR_WRITES_TIMEOUT_MS),
      secretKey,
      metrics,
    };
    cleanups.push(async () => services.events.close());
    // Runs after workers and projectors stopped (cleanups run in reverse), before the broker closes.
    cleanups.push(async () => {
      await Promise.all(modules.flatMap((m: Module) => (m.close ? [m.close(services)] : [])));
    });

    const projectors: Projector[] = [];
    let reconciler: Reconciler | undefined;
    let sealer: RollupSealer | undefined;
    if (config.ROLE !== 'api') {
      const leaseTtlMs = opts.leaseTtlMs ?? LEASE_TTL_MS;
      const leases: KV = await openLeaseBucket(broker.nc, leaseTtlMs);
      const holder = holderId();
      for (const p of projections) {
        projectors.push(new Projector(p, { broker, db, log, metrics, leases, leaseTtlMs, holder, now }));
      }
      for (const p of projectors) p.start();
      const workers = modules.flatMap((m: Module) => m.workers?.(services, log) ?? []).map((w) => new WorkerRunner(w, { broker, log }));
      for (const w of workers) w.start();
      cleanups.push(async () => {
        await Promise.all(workers.map((w) => w.stop()));
      });
      reconciler = new Reconciler({ db, broker, log, metrics, tables: expiringTables, holder, now });
      reconciler.start(config.RECONCILE_INTERVAL_SECONDS * 1000, leases, leaseTtlMs);
      sealer = new RollupSealer({ db, broker, events: services.events, tracker, log, holder, now });
      sealer.start(config.RECONCILE_INTERVAL_SECONDS * 1000, leases, leaseTtlMs);
      const reaper = new ObjectReaper({ db, config, log, metrics, holder });
      reaper.start(config.RECONCILE_INTERVAL_SECONDS * 1000, leases, leaseTtlMs);
      cleanups.push(() => reaper.stop());
      cleanups.push(async () => {
        await Promise.all([...projectors.map((p) => p.stop()), reconciler?.stop(), sealer?.stop()]);
      });
    }
    services.tenantPurgeHooks = modules.flatMap((m: Module) => (m.purgeTenant ? [m.purgeTenant.bind(m)] : []));
    const admission = config.TENANCY === 'registered' ? registeredAdmission(tenants, secretKey) : openAdmission;
    const app = config.ROLE === 'consumers' ? undefined : createApp({ services, log, metrics, admission });
    return { config, db, broker, metrics, services, app, projectors, reconciler, sealer, streams, natsServer, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
