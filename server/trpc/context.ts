import type { Projection } from '../../consumers/projection/projection.ts';
import type { ReadConsistency } from '../../consumers/read-side/consistency.ts';
import type { TenantRegistry } from '../../consumers/tenant-registry.ts';
import type { Config } from '../platform/config.ts';
import type { Database } from '../platform/db/database.ts';
import type { EventPublisher } from '../platform/events/publisher.ts';
import type { Logger } from '../platform/logger.ts';
import type { Metrics } from '../platform/metrics.ts';
import type { Broker } from '../platform/nats/connect.ts';

/**
 * What procedures, workers and jobs may use: built once at start by the composition root
 * (clock included) and passed in, never imported. Modules keep state of their own per
 * instance with `instanceState` (server/modules/module.ts).
 */
export interface Services {
  config: Config;
  db: Database;
  events: EventPublisher;
  consistency: ReadConsistency;
  now: () => Date;
  /** The process's logger (requests carry their own child in the tRPC context). */
  log: Logger;
  /** The broker connection, for live subscriptions (execute's wait, onUpdate). */
  broker: Broker;
  /** The registered apps, live (registered tenancy). */
  tenants: TenantRegistry;
  /** The server secret (HMAC key of affiliate codes, app keys, bot signatures); never logged. */
  secretKey: Uint8Array;
  /** The process's Prometheus metrics (workers count their outcomes, e.g. mail sent and failed). */
  metrics: Metrics;
  /** What this deployment is made of, as the composition root gathered it from the modules. */
  catalog: Catalog;
}

/** Erases what a module keeps of an app outside streams and tables (its bucket prefix, ...). */
export type PurgeHook = (s: Services, appId: string) => Promise<void>;

/** The modules' contributions that other parts iterate over (admin views, tenant purge). */
export interface Catalog {
  projections: readonly Projection[];
  purgeHooks: readonly PurgeHook[];
}

/** The tRPC context of one request. `tenant` is set by the edge on `/trpc` and `/api/v1`. */
export interface Context {
  services: Services;
  requestId: string;
  tenant: string | null;
  /** The Authorization header, for admin procedures (never logged). */
  authorization: string | undefined;
  /** The edge verified the operator's dashboard session (cookie) in place of the admin token. */
  adminSession?: boolean;
  log: Logger;
}
