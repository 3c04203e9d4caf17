import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { PGlite, types } from '@electric-sql/pglite';
import type { Database, Queryable } from './database.ts';

// Sequences and counters are int8; they stay far below 2^53, so plain numbers are exact.
const parsers = { [types.INT8]: (v: string) => Number(v) };

/** Embedded Postgres: in memory for `memory://`, else in `dataDir`. */
export async function openPglite(dataDir: string | undefined): Promise<Database> {
  // PGlite creates only the last folder of its data dir.
  if (dataDir) mkdirSync(dirname(dataDir), { recursive: true });
  const pg = await PGlite.create(dataDir, { parsers });
  const wrap = (q: Pick<PGlite, 'query' | 'exec'>): Queryable => ({
    async query<R>(sql: string, params?: unknown[]) {
      return (await q.query<R>(sql, params)).rows;
    },
    async command(sql: string, params?: unknown[]) {
      return (await q.query(sql, params)).affectedRows ?? 0;
    },
    async exec(sql: string) {
      await q.exec(sql);
    },
  });
  return {
    kind: 'pglite',
    ...wrap(pg),
    transaction: (fn) => pg.transaction((tx) => fn(wrap(tx))),
    close: () => pg.close(),
  };
}
