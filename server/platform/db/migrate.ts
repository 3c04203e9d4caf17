import { readdir, readFile } from 'node:fs/promises';
import type { Database } from './database.ts';

/** A folder of versioned SQL files (`0001_name.sql`, ...) owned by one module. */
export interface MigrationSource {
  module: string;
  dir: URL;
}

// Serialises migrations across processes starting at once against one Postgres.
const MIGRATION_LOCK = 7_220_431_001;

/** Applies every migration not yet recorded, each in its own transaction, in order. */
export async function migrate(db: Database, sources: MigrationSource[]): Promise<string[]> {
  await db.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
    id text PRIMARY KEY,
    applied_at timestamptz NOT NULL DEFAULT now()
  )`);
  const applied: string[] = [];
  for (const source of sources) {
    const files = (await readdir(source.dir)).filter((f) => f.endsWith('.sql')).sort();
    for (const file of files) {
      const id = `${source.module}/${file.replace(/\.sql$/, '')}`;
      const sql = await readFile(new URL(file, source.dir), 'utf8');
      const done = await db.transaction(async (tx) => {
        await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
        const seen = await tx.query('SELECT 1 FROM schema_migrations WHERE id = $1', [id]);
        if (seen.length > 0) return false;
        await tx.exec(sql);
        await tx.query('INSERT INTO schema_migrations (id) VALUES ($1)', [id]);
        return true;
      });
      if (done) applied.push(id);
    }
  }
  return applied;
}
