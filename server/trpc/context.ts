import type { Config } from '../platform/config.ts';
import type { Database } from '../platform/db/database.ts';
import type { EventPublisher } from '../platform/events/publisher.ts';
import type { ReadConsistency } from '../../consumers/read-side/consistency.ts';
import type { Logger } from '../platform/logger.ts';
import type { Metrics } from '../platform/metrics.ts';
import type { Broker } from '../platform/nats/connect.ts';
import type { HandlerRegistry } from '../modules/bots/handlers/registry.ts';
import type { TenantRegistry } from '../../consumers/tenant-registry.ts';

/** What procedures may use: passed in once at start (clock included), never imported. */
export interface Services {
  config: Config;
  db: Database;
  events: EventPublisher;
  consistency: ReadConsistency;
  now: () => Date;
  /** The broker connection, for live subscriptions (execute's wait, onUpdate). */
  broker: Broker;
  /** The registered apps, live (registered tenancy). */
  tenants: TenantRegistry;
  /** What modules erase outside streams and tables when an app is purged (e.g. its bucket prefix). */
  tenantPurgeHooks: ((s: Services, appId: string) => Promise<void>)[];
  /** The bot handlers this deployment runs, by task type. */
  botHandlers: HandlerRegistry;
  /** The server secret (HMAC key of affiliate codes); never logged. */
  secretKey: Uint8Array;
  /** The process's Prometheus metrics (workers count their outcomes, e.g. mail sent and failed). */
  metrics: Metrics;
}

/** The tRPC context of one request. `tenant` is set by the edge on `/trpc` and `/api/v1`. */
export interface Context {
  services: Services;
  requestId: string;
  tenant: string | null;
  /** The Authorization header, for admin procedures (never logged). */
  authorization: string | undefined;
  log: Logger;
}
