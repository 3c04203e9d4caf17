import type { KV } from '@nats-io/kv';
import type { Database } from '../../server/platform/db/database.ts';
import type { Broker } from '../../server/platform/nats/connect.ts';

/** What a replay works with: the service's database and broker, the projectors' lease bucket, a clock. */
export interface ReplayDeps {
  db: Database;
  broker: Broker;
  /** The lease bucket the projectors use (`mayfly_leases`). */
  leases: KV;
  /** Its entries' lifetime: a lease not renewed within it is lost. */
  leaseTtlMs: number;
  holder: string;
  now: () => Date;
}
