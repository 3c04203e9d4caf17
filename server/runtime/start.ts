import type { StreamName } from '@mayfly/contracts';
import { LeaderJobRunner } from '../../consumers/jobs/leader-job.ts';
import { holderId, openLeaseBucket } from '../../consumers/jobs/lease.ts';
import { Projector } from '../../consumers/projector/projector.ts';
import { CheckpointTracker } from '../../consumers/read-side/checkpoints.ts';
import { ReadConsistency } from '../../consumers/read-side/consistency.ts';
import { Reconciler } from '../../consumers/reconciler/reconciler.ts';
import { TenantRegistry } from '../../consumers/tenant-registry.ts';
import { WorkerRunner } from '../../consumers/worker.ts';
import { createApp } from '../http/app.ts';
import { InFlightRequests } from '../http/middleware/in-flight.ts';
import type { Config } from '../platform/config.ts';
import type { Database } from '../platform/db/database.ts';
import { migrate } from '../platform/db/migrate.ts';
import { EventPublisher } from '../platform/events/publisher.ts';
import type { Logger } from '../platform/logger.ts';
import { createMetrics, forgetTenantSeries, type Metrics } from '../platform/metrics.ts';
import { connectBroker, type Broker } from '../platform/nats/connect.ts';
import type { EmbeddedNats } from '../platform/nats/embedded-server.ts';
import { clusterSize, provisionStreams, type StreamCapabilities } from '../platform/nats/streams.ts';
import { loadSecretKey } from '../platform/secret.ts';
import { replayProgress } from '../modules/admin/index.ts';
import { catalog } from '../modules/index.ts';
import type { Services } from '../trpc/context.ts';
import { openStores, type Stores } from './stores.ts';

/** Both results; when either fails, its error once both have settled (so cleanups see all that opened). */
async function settleBoth<A, B>(a: Promise<A>, b: Promise<B>): Promise<[A, B]> {
  const [x, y] = await Promise.allSettled([a, b]);
  if (x.status === 'rejected') throw x.reason;
  if (y.status === 'rejected') throw y.reason;
  return [x.value, y.value];
}

/** How long a stop waits for the requests being handled (a read waits for its projection up to 5 s by default). */
export const IN_FLIGHT_GRACE_MS = 8_000;

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
  /** The reconciler (consumer roles only); `runOnce()` runs a pass now. */
  reconciler: Reconciler | undefined;
  streams: Map<StreamName, StreamCapabilities>;
  natsServer: EmbeddedNats | undefined;
  /**
   * Lets the requests being handled finish (new ones answer 503; at most {@link IN_FLIGHT_GRACE_MS}),
   * stops projectors after their batch in flight, drains NATS, closes the database.
   */
  stop(): Promise<void>;
}

export interface StartOptions {
  log: Logger;
  now?: () => Date;
  metrics?: Metrics;
  /** Override the lease length (tests use short ones). */
  leaseTtlMs?: number;
  /** The broker and database, already on their way (the process entry starts them while this module loads). */
  stores?: Promise<Stores>;
}

/**
 * Composition root: opens the database (migrated), the broker (spawned when NATS_URL is
 * unset, streams provisioned), builds the services every module shares, and starts the HTTP
 * app and/or the consumers (projectors, workers, leader jobs) by ROLE, from the modules.
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
    const { natsServer, natsUrl, db } = await (opts.stores ?? openStores(config, log));
    if (natsServer) cleanups.push(() => natsServer.stop());
    cleanups.push(() => db.close());
    // The database's migrations and the broker's streams and registry, side by side.
    const migrated = migrate(db, catalog.migrations);
    const brokered = (async () => {
      const broker = await connectBroker(natsUrl, log, `mayfly-${config.ROLE}`);
      cleanups.push(() => broker.close());
      const streams = await provisionStreams(broker.jsm, config, broker.serverVersion, { log, nodes: clusterSize(broker.nc.info) });
      const tenants = new TenantRegistry(broker, log);
      await tenants.start();
      cleanups.push(async () => tenants.stop());
      // An app's metrics series go with its registration, on every instance.
      const forget = tenants.onChange((event) => {
        if (event.type === 'tenant.removed') void forgetTenantSeries(metrics, event.data.app_id);
      });
      cleanups.push(async () => forget());
      return { broker, streams, tenants };
    })();
    const [applied, { broker, streams, tenants }] = await settleBoth(migrated, brokered);
    metrics.replayFeed.read = () => replayProgress(db).catch(() => []);
    if (applied.length > 0) log.info({ migrations: applied }, 'applied migrations');
    const perMessageTtl = [...streams.values()].some((s) => s.messageTtl);
    log.info({ nats_version: broker.serverVersion, db: db.kind, per_message_ttl: perMessageTtl }, 'connected');

    const tracker = new CheckpointTracker(broker.nc, db);
    tracker.start();
    cleanups.push(async () => tracker.stop());
    const services: Services = {
      config,
      db,
      now,
      log,
      broker,
      tenants,
      events: new EventPublisher(broker, metrics, streams),
      consistency: new ReadConsistency(broker, tracker, config.READ_YOUR_WRITES_TIMEOUT_MS),
      secretKey,
      metrics,
      catalog,
    };
    cleanups.push(async () => services.events.close());
    // Runs after workers and projectors stopped (cleanups run in reverse), before the broker closes.
    cleanups.push(async () => {
      await Promise.all(catalog.modules.flatMap((m) => (m.close ? [m.close(services)] : [])));
    });

    const projectors: Projector[] = [];
    let reconciler: Reconciler | undefined;
    if (config.ROLE !== 'api') {
      const leaseTtlMs = opts.leaseTtlMs ?? LEASE_TTL_MS;
      const leases = await openLeaseBucket(broker.nc, leaseTtlMs, config.NATS_STREAM_REPLICAS);
      const holder = holderId();
      for (const p of catalog.projections) {
        projectors.push(new Projector(p, { broker, db, log, metrics, leases, leaseTtlMs, holder, now }));
      }
      const workers = catalog.modules.flatMap((m) => m.workers?.(services) ?? []).map((w) => new WorkerRunner(w, { broker, log }));
      reconciler = new Reconciler({ db, broker, log, metrics, tables: catalog.expiring, records: catalog.expiringRecords, holder, now });
      const jobs = [reconciler.job(config.RECONCILE_INTERVAL_SECONDS * 1000), ...catalog.modules.flatMap((m) => m.jobs?.(services) ?? [])].map(
        (job) => new LeaderJobRunner(job, { leases, leaseTtlMs, holder, log }),
      );
      for (const part of [...projectors, ...workers, ...jobs]) part.start();
      cleanups.push(async () => {
        await Promise.all([...projectors, ...workers, ...jobs].map((part) => part.stop()));
      });
    }
    const inFlight = new InFlightRequests();
    const app = config.ROLE === 'consumers' ? undefined : createApp({ services, log, metrics, inFlight });
    // The first step of a stop: requests being handled finish before anything they use closes.
    cleanups.push(async () => {
      const cut = await inFlight.settle(IN_FLIGHT_GRACE_MS);
      if (cut > 0) log.warn({ requests: cut }, 'stopping with requests still being handled');
    });
    return { config, db, broker, metrics, services, app, projectors, reconciler, streams, natsServer, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
