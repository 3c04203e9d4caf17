import type { Queryable } from '../../server/platform/db/database.ts';

/** Schemas that hold replay shadow tables: `mayfly_replay_<run id>`. */
export const SHADOW_SCHEMA_PREFIX = 'mayfly_replay_';

/** The schema of one replay run's shadow table. */
export const shadowSchema = (runId: number) => `${SHADOW_SCHEMA_PREFIX}${runId}`;

/** A SQL identifier, quoted. */
export const ident = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** `schema.table`, quoted. */
export const qualified = (schema: string, table: string) => `${ident(schema)}.${ident(table)}`;

/** The schema live tables are in (where unqualified names resolve first). */
export async function liveSchema(q: Queryable): Promise<string> {
  const [row] = await q.query<{ schema: string }>('SELECT current_schema() AS schema');
  if (!row?.schema) throw new Error('the database has no current schema (search_path is empty)');
  return row.schema;
}

/**
 * Creates the run's schema and, in it, an empty copy of the live table under the live name
 * (columns, defaults, checks): the projection's own `apply` writes there once the schema leads
 * the search path, with no change to the projection. `keyed` copies the primary key and unique
 * indexes too, which `apply` needs for its upserts; unkeyed, the copy takes a bulk load and
 * gets them from {@link addKeys}. The other indexes are built once the bulk of the rows is in
 * ({@link buildMissingIndexes}): one index build is much cheaper than maintaining the index row
 * by row.
 */
export async function createShadow(tx: Queryable, schema: string, live: string, table: string, o: { keyed: boolean }): Promise<void> {
  await tx.query(`CREATE SCHEMA IF NOT EXISTS ${ident(schema)}`);
  await tx.query(`CREATE TABLE IF NOT EXISTS ${qualified(schema, table)} (LIKE ${qualified(live, table)} INCLUDING ALL${o.keyed ? '' : ' EXCLUDING INDEXES'})`);
  for (const index of await indexesOf(tx, schema, table)) {
    if (!index.shape.startsWith('UNIQUE ')) await tx.query(`DROP INDEX ${qualified(schema, index.name)}`);
  }
}

/** Whether the shadow table has its keys: the primary key, or a unique index, as `apply` needs. */
export async function hasKeys(q: Queryable, schema: string, table: string): Promise<boolean> {
  return (await indexesOf(q, schema, table)).some((i) => i.shape.startsWith('UNIQUE '));
}

/** Gives an unkeyed shadow table the live table's primary key and unique constraints, under their names. */
export async function addKeys(q: Queryable, live: string, schema: string, table: string): Promise<void> {
  const keys = await q.query<{ name: string; def: string }>(
    "SELECT conname AS name, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = to_regclass($1) AND contype IN ('p', 'u') ORDER BY contype, conname",
    [qualified(live, table)],
  );
  for (const k of keys) await q.query(`ALTER TABLE ${qualified(schema, table)} ADD CONSTRAINT ${ident(k.name)} ${k.def}`);
}

/** Builds the live table's indexes that the shadow does not have yet (before the swap). */
export async function buildMissingIndexes(q: Queryable, live: string, schema: string, table: string): Promise<number> {
  const have = (await indexesOf(q, schema, table)).map((i) => i.shape);
  let built = 0;
  for (const index of await indexesOf(q, live, table)) {
    const i = have.indexOf(index.shape);
    if (i >= 0) {
      have.splice(i, 1);
      continue;
    }
    await q.query(`CREATE ${index.shape.startsWith('UNIQUE ') ? 'UNIQUE INDEX' : 'INDEX'} ON ${qualified(schema, table)} ${index.shape.replace(/^UNIQUE /, '')}`);
    built += 1;
  }
  return built;
}

/**
 * Makes unqualified names in this transaction resolve to the shadow schema first. Everything
 * else (`purge_queue`, `object_deletions`, ...) still resolves to the live tables. Local to the
 * transaction: it ends with it.
 */
export async function useShadow(tx: Queryable, schema: string | undefined): Promise<void> {
  const [row] = await tx.query<{ path: string }>("SELECT current_setting('search_path') AS path");
  const base = (row?.path ?? '').split(',').map((s) => s.trim()).filter((s) => s && !s.replaceAll('"', '').startsWith(SHADOW_SCHEMA_PREFIX));
  const path = schema ? [ident(schema), ...base] : base;
  await tx.query("SELECT set_config('search_path', $1, true)", [path.join(', ')]);
}

interface IndexDef {
  name: string;
  /** The definition without its own name and table: what makes two indexes the same. */
  shape: string;
}

async function indexesOf(q: Queryable, schema: string, table: string): Promise<IndexDef[]> {
  const rows = await q.query<{ name: string; def: string }>(
    `SELECT c.relname AS name, pg_get_indexdef(i.indexrelid) AS def
     FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
     WHERE i.indrelid = to_regclass($1) ORDER BY c.relname`,
    [qualified(schema, table)],
  );
  return rows.map((r) => ({ name: r.name, shape: r.def.replace(/^CREATE (UNIQUE )?INDEX \S+ ON (ONLY )?\S+ /, '$1') }));
}

/**
 * Puts the shadow table in the live one's place, in the caller's transaction: locks the live
 * table (readers wait for the commit, then read the new table), drops it, moves the shadow into
 * the live schema, gives its indexes (and so its constraints) the live names, drops the empty
 * shadow schema. Index names matter: later migrations may name them.
 */
export async function swapIn(tx: Queryable, live: string, schema: string, table: string): Promise<void> {
  await tx.query(`LOCK TABLE ${qualified(live, table)} IN ACCESS EXCLUSIVE MODE`);
  const liveIndexes = await indexesOf(tx, live, table);
  const shadowIndexes = await indexesOf(tx, schema, table);
  await tx.query(`DROP TABLE ${qualified(live, table)}`);
  await tx.query(`ALTER TABLE ${qualified(schema, table)} SET SCHEMA ${ident(live)}`);
  // Pair indexes of the same shape; rename through temporary names so no two ever clash.
  const renames: [string, string][] = [];
  const unmatched = [...liveIndexes];
  for (const s of shadowIndexes) {
    const i = unmatched.findIndex((l) => l.shape === s.shape);
    if (i < 0) continue;
    const [l] = unmatched.splice(i, 1);
    if (l!.name !== s.name) renames.push([s.name, l!.name]);
  }
  for (const [i, [from]] of renames.entries()) await tx.query(`ALTER INDEX ${qualified(live, from)} RENAME TO ${ident(`mayfly_swap_${i}`)}`);
  for (const [i, [, to]] of renames.entries()) await tx.query(`ALTER INDEX ${qualified(live, `mayfly_swap_${i}`)} RENAME TO ${ident(to)}`);
  await tx.query(`DROP SCHEMA ${ident(schema)}`);
}

/** Drops a run's shadow schema and whatever is in it. */
export async function dropShadow(db: Queryable, schema: string): Promise<void> {
  await db.query(`DROP SCHEMA IF EXISTS ${ident(schema)} CASCADE`);
}
