import { join } from 'node:path';
import type { Database } from './database.ts';

/** Where embedded PGlite runs: a worker thread of its own (the default), or the calling thread. */
export type PgliteThread = 'worker' | 'main';

/**
 * Chooses the database by `DATABASE_URL`: unset = PGlite in `DATA_DIR/pg`, `memory://` =
 * in-memory PGlite, each in the thread `pgliteThread` names (`PGLITE_THREAD`).
 */
export async function openDatabase(url: string | undefined, dataDir: string, pgliteThread: PgliteThread = 'worker'): Promise<Database> {
  if (url === undefined || url === 'memory://') {
    const dir = url === undefined ? join(dataDir, 'pg') : undefined;
    if (pgliteThread === 'worker') return (await import('./pglite-threaded.ts')).openPgliteWorker(dir);
    return (await import('./pglite.ts')).openPglite(dir);
  }
  if (/^postgres(ql)?:\/\//.test(url)) return (await import('./pg.ts')).openPg(url);
  throw new Error(`DATABASE_URL must be postgres://..., postgresql://... or memory:// (got another scheme)`);
}
