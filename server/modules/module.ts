import type { AnyRouter } from '@trpc/server';
import type { ExpiringTable } from '../../consumers/reconciler/expiring-table.ts';
import type { Projection } from '../../consumers/projection/projection.ts';
import type { Worker } from '../../consumers/worker.ts';
import type { Services } from '../trpc/context.ts';
import type { MigrationSource } from '../platform/db/migrate.ts';
import type { Logger } from '../platform/logger.ts';

/** What a domain module hands the composition root. */
export interface Module {
  name: string;
  router: AnyRouter;
  projections: Projection[];
  /** Tables whose rows the reconciler hard-deletes at their TTL. */
  expiring: ExpiringTable[];
  migrations: MigrationSource;
  /** Side-effecting consumers (run in the consumer role, shared across processes). */
  workers?(services: Services, log: Logger): Worker[];
  /** Erases what the module keeps outside streams and `tenant` tables for an app (e.g. objects). */
  purgeTenant?(services: Services, appId: string): Promise<void>;
  /** Releases what the module holds open (e.g. HTTP/2 sessions); called once on shutdown. */
  close?(services: Services): Promise<void>;
}
