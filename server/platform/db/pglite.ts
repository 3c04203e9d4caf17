import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { cp } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { PGlite, types } from '@electric-sql/pglite';
import { copyStatement, copyText, PGLITE_COPY_SOURCE, type Database, type Queryable } from './database.ts';

// Sequences and counters are int8; they stay far below 2^53, so plain numbers are exact.
const parsers = { [types.INT8]: (v: string) => Number(v) };

/**
 * Where a freshly initialised, empty PGlite cluster is kept for this installation:
 * `node_modules/.cache/mayfly/pglite-<version>`, beside the PGlite package it was made by
 * (`npm ci` makes it, through `npm run prepare`). Initialising a cluster (initdb, in
 * WebAssembly) takes 2-6 s on these machines; copying one takes a fraction of that.
 */
export function pgliteTemplateDir(): string {
  const entry = createRequire(import.meta.url).resolve('@electric-sql/pglite');
  let pkg = dirname(entry);
  while (!existsSync(join(pkg, 'package.json')) && dirname(pkg) !== pkg) pkg = dirname(pkg);
  const { version } = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')) as { version: string };
  // .../node_modules/@electric-sql/pglite -> .../node_modules
  return join(dirname(dirname(pkg)), '.cache', 'mayfly', `pglite-${version}`);
}

/** Makes the template cluster unless it exists; false when it did. Safe to run twice at once. */
export async function makePgliteTemplate(dir = pgliteTemplateDir()): Promise<boolean> {
  if (existsSync(join(dir, 'PG_VERSION'))) return false;
  const tmp = `${dir}.${process.pid}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(dirname(tmp), { recursive: true });
  // 1 MB WAL segments instead of 16: the template is copied into every new data directory, and
  // an empty cluster's one segment was 40% of it.
  const pg = await PGlite.create(tmp, { initDbStartParams: ['--wal-segsize=1'] });
  await pg.close(); // a clean shutdown: the copy needs no recovery
  try {
    renameSync(tmp, dir);
  } catch {
    rmSync(tmp, { recursive: true, force: true }); // another process made it first
  }
  return true;
}

/** A new (absent or empty) data directory starts as a copy of the template, when there is one; else PGlite runs initdb. */
async function seedFromTemplate(dataDir: string, template: string | undefined): Promise<void> {
  if (existsSync(dataDir) && readdirSync(dataDir).length > 0) return;
  try {
    template ??= pgliteTemplateDir();
  } catch {
    return;
  }
  if (!existsSync(join(template, 'PG_VERSION'))) return;
  // Copied beside, then renamed into place: a start killed mid-copy leaves no half cluster.
  const tmp = `${dataDir}.${process.pid}.seed`;
  rmSync(tmp, { recursive: true, force: true });
  await cp(template, tmp, { recursive: true });
  rmSync(dataDir, { recursive: true, force: true }); // an empty folder, if any
  renameSync(tmp, dataDir);
}

/** Runs `COPY ... FROM '/dev/blob'` with `data`, rows in COPY's text format. */
export async function copyInto(q: Pick<PGlite, 'query'>, copySql: string, data: string): Promise<void> {
  await q.query(copySql, [], { blob: new Blob([data]) });
}

/** Boots PGlite in this thread: in memory without `dataDir`, else in `dataDir` (a new one copied from `template`, by default the installation's). */
export async function createPglite(dataDir: string | undefined, opts: { template?: string } = {}): Promise<PGlite> {
  if (dataDir) {
    // PGlite creates only the last folder of its data dir.
    mkdirSync(dirname(dataDir), { recursive: true });
    await seedFromTemplate(dataDir, opts.template);
  }
  return PGlite.create(dataDir, { parsers });
}

/** Embedded Postgres in this thread, as a `Database` (see `createPglite`; `openPgliteWorker` runs it in a thread of its own). */
export async function openPglite(dataDir: string | undefined, opts: { template?: string } = {}): Promise<Database> {
  const pg = await createPglite(dataDir, opts);
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
    async copyFrom(table, columns, rows) {
      await copyInto(q, copyStatement(table, columns, PGLITE_COPY_SOURCE), copyText(rows));
    },
  });
  return {
    kind: 'pglite',
    ...wrap(pg),
    transaction: (fn) => pg.transaction((tx) => fn(wrap(tx))),
    close: () => pg.close(),
  };
}
