import type { AnyRouter } from '@trpc/server';
import type { Projection } from '../../consumers/projection.ts';
import type { MigrationSource } from '../db/migrate.ts';

/** What a domain module hands the composition root. */
export interface Module {
  name: string;
  router: AnyRouter;
  projections: Projection[];
  migrations: MigrationSource;
}
