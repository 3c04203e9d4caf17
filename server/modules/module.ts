import type { AnyRouter } from '@trpc/server';
import type { ExpiringTable } from '../../consumers/expiry.ts';
import type { Projection } from '../../consumers/projection.ts';
import type { MigrationSource } from '../db/migrate.ts';

/** What a domain module hands the composition root. */
export interface Module {
  name: string;
  router: AnyRouter;
  projections: Projection[];
  /** Tables whose rows the reconciler hard-deletes at their TTL. */
  expiring: ExpiringTable[];
  migrations: MigrationSource;
}
