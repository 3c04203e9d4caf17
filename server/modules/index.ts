import type { MigrationSource } from '../db/migrate.ts';
import { drafts } from './drafts/index.ts';

/** Every domain module, in the order their migrations apply. */
export const modules = [drafts] as const;

/** Core tables first, then each module's. */
export const migrationSources: MigrationSource[] = [
  { module: 'core', dir: new URL('../db/migrations/', import.meta.url) },
  ...modules.map((m) => m.migrations),
];

export const projections = modules.flatMap((m) => m.projections);
export const expiringTables = modules.flatMap((m) => m.expiring);
