import type { ExpiringTable } from '../../consumers/reconciler/expiring-table.ts';
import type { Projection } from '../../consumers/projection/projection.ts';
import type { MigrationSource } from '../platform/db/migrate.ts';
import type { Module } from './module.ts';
import { affiliate } from './affiliate/index.ts';
import { bots } from './bots/index.ts';
import { drafts } from './drafts/index.ts';
import { email } from './email/index.ts';
import { storage } from './storage/index.ts';
import { ios } from './ios/index.ts';

/** Every domain module, in the order their migrations apply. */
export const modules = [drafts, bots, affiliate, email, storage, ios] as const;

/** Core tables first, then each module's. */
export const migrationSources: MigrationSource[] = [
  { module: 'core', dir: new URL('../platform/db/migrations/', import.meta.url) },
  ...modules.map((m) => m.migrations),
];

export const projections: Projection[] = modules.flatMap((m: Module) => m.projections);
export const expiringTables: ExpiringTable[] = modules.flatMap((m: Module) => m.expiring);
