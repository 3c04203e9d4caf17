import { join } from 'node:path';
import type { Database } from './database.ts';

/** Chooses the database by `DATABASE_URL`: unset = PGlite in `DATA_DIR/pg`, `memory://` = in-memory PGlite. */
export async function openDatabase(url: string | undefined, dataDir: string): Promise<Database> {
  if (url === undefined) return (await import('./pglite.ts')).openPglite(join(dataDir, 'pg'));
  if (url === 'memory://') return (await import('./pglite.ts')).openPglite(undefined);
  if (/^postgres(ql)?:\/\//.test(url)) return (await import('./pg.ts')).openPg(url);
  throw new Error(`DATABASE_URL must be postgres://..., postgresql://... or memory:// (got another scheme)`);
}
