/** Something SQL can be sent to: the database itself or an open transaction. */
export interface Queryable {
  /** Runs one statement with `$n` parameters and returns its rows. */
  query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<R[]>;
  /** Runs one statement and returns how many rows it changed (no rows come back). */
  command(sql: string, params?: unknown[]): Promise<number>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

/** The small data-access interface every module uses; PGlite and `pg` both implement it. */
export interface Database extends Queryable {
  readonly kind: 'pglite' | 'pg';
  /** Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

// SQLSTATE classes that say "not now" rather than "not this": connection, transaction
// rollback (serialization, deadlock), resources, operator intervention, system errors.
const TRANSIENT_CLASSES = new Set(['08', '40', '53', '57', '58']);

/**
 * True for a database error worth retrying as it is (the database is away, a deadlock, a
 * serialization failure); false for one that the statement's data caused, which will fail
 * again however often it is retried (a NUL byte in jsonb, a broken constraint).
 */
export function isTransientDatabaseError(err: unknown): boolean {
  const e = err as { code?: unknown; name?: unknown };
  if (e?.name === 'MayflyError' && e.code === 'SERVICE_UNAVAILABLE') return true;
  return typeof e?.code === 'string' && e.code.length === 5 && TRANSIENT_CLASSES.has(e.code.slice(0, 2));
}
