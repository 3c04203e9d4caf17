import { readdir, readFile } from 'node:fs/promises';
import type { Database } from './database.ts';

/** A folder of versioned SQL files (`0001_name.sql`, ...) owned by one module. */
export interface MigrationSource {
  module: string;
  dir: URL;
}

// Serialises migrations across processes starting at once against one Postgres.
const MIGRATION_LOCK = 7_220_431_001;

/**
 * Applies every migration not yet recorded, in order, in one transaction: all of them or none
 * (a new database takes them all at once, in a fraction of the time of one transaction each).
 * A restart with nothing new reads the record once and runs no transaction.
 */
export async function migrate(db: Database, sources: MigrationSource[]): Promise<string[]> {
  await db.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
    id text PRIMARY KEY,
    applied_at timestamptz NOT NULL DEFAULT now()
  )`);
  const migrations: { id: string; file: URL }[] = [];
  for (const source of sources) {
    const files = (await readdir(source.dir)).filter((f) => f.endsWith('.sql')).sort();
    for (const file of files) migrations.push({ id: `${source.module}/${file.replace(/\.sql$/, '')}`, file: new URL(file, source.dir) });
  }
  const recorded = async (q: Pick<Database, 'query'>) => new Set((await q.query<{ id: string }>('SELECT id FROM schema_migrations')).map((r) => r.id));
  const before = await recorded(db);
  if (migrations.every((m) => before.has(m.id))) return [];
  const pending = await Promise.all(migrations.filter((m) => !before.has(m.id)).map(async (m) => ({ ...m, sql: await readFile(m.file, 'utf8') })));
  return db.transaction(async (tx) => {
    // Another process may have migrated meanwhile: what is recorded under the lock decides.
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    const done = await recorded(tx);
    const applied: string[] = [];
    for (const m of pending) {
      if (done.has(m.id)) continue;
      await tx.exec(m.sql);
      await tx.query('INSERT INTO schema_migrations (id) VALUES ($1)', [m.id]);
      applied.push(m.id);
    }
    return applied;
  });
}
