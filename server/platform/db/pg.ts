import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFromStdin } from 'pg-copy-streams';
import { copyStatement, copyText, type Database, type Queryable } from './database.ts';
import { unavailable } from '../errors.ts';

const INT8 = 20;
// Sequences and counters are int8; they stay far below 2^53, so plain numbers are exact.
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8
      ? (v: string) => Number(v)
      : (pg.types.getTypeParser(oid, format) as unknown)) as typeof pg.types.getTypeParser,
};

// Errors that mean "the database is not there right now", not "this statement is wrong".
const UNAVAILABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', '57P01', '57P02', '57P03', '08000', '08001', '08003', '08004', '08006']);

/** Turns a lost database into a 503 the client may retry; other errors pass unchanged. */
function unavailableOr(err: unknown): unknown {
  const code = (err as { code?: string }).code;
  const message = err instanceof Error ? err.message : '';
  if ((code && UNAVAILABLE.has(code)) || /Connection terminated|connection timeout/i.test(message)) {
    return unavailable('the database is not available; try again', err, 2);
  }
  return err;
}

/** Production Postgres through a `pg` pool. */
export async function openPg(url: string, max = 10): Promise<Database> {
  const pool = new pg.Pool({ connectionString: url, max, types, connectionTimeoutMillis: 5_000 });
  // An idle client that loses its server must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  await pool.query('SELECT 1');
  const wrap = (q: pg.Pool | pg.PoolClient): Queryable => ({
    async query<R>(sql: string, params?: unknown[]) {
      try {
        return (await q.query(sql, params)).rows as R[];
      } catch (err) {
        throw unavailableOr(err);
      }
    },
    async command(sql: string, params?: unknown[]) {
      try {
        return (await q.query(sql, params)).rowCount ?? 0;
      } catch (err) {
        throw unavailableOr(err);
      }
    },
    async exec(sql: string) {
      await q.query(sql);
    },
    async copyFrom(table, columns, rows) {
      // The pool lends a client for the COPY; a transaction's client is its own.
      const client = q instanceof pg.Pool ? await q.connect() : q;
      try {
        await pipeline(Readable.from([copyText(rows)]), client.query(copyFromStdin(copyStatement(table, columns, 'STDIN'))));
      } catch (err) {
        throw unavailableOr(err);
      } finally {
        if (client !== q) client.release();
      }
    },
  });
  return {
    kind: 'pg',
    ...wrap(pool),
    async transaction(fn) {
      const client = await pool.connect().catch((err: unknown) => {
        throw unavailableOr(err);
      });
      // A server that goes away while this client is checked out must fail the transaction
      // (its query rejects), not crash the process with an unhandled 'error' event.
      const ignore = () => undefined;
      client.on('error', ignore);
      let failed = false;
      try {
        await client.query('BEGIN');
        const result = await fn(wrap(client));
        await client.query('COMMIT');
        return result;
      } catch (err) {
        failed = true;
        await client.query('ROLLBACK').catch(() => undefined);
        throw unavailableOr(err);
      } finally {
        client.off('error', ignore);
        // A client whose transaction failed may have lost its connection: do not reuse it.
        client.release(failed);
      }
    },
    close: () => pool.end(),
  };
}
