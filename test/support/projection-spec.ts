import type { AnyEvent } from '@mayfly/contracts';
import type { Delivery } from '../../consumers/projection/projection.ts';
import type { Projection } from '../../consumers/projection/projection.ts';
import type { RowProjection } from '../../consumers/projection/row-projection.ts';
import type { Database, Queryable } from '../../server/platform/db/database.ts';
import { migrate } from '../../server/platform/db/migrate.ts';
import { openDatabase } from '../../server/platform/db/open.ts';
import { catalog } from '../../server/modules/index.ts';
import { testDatabaseUrl, type TestDatabase } from './databases.ts';

/** What a projection left behind: its table's rows and the broker purges it queued. */
export interface Outcome {
  rows: Record<string, unknown>[];
  purges: { stream: string; subject: string; up_to_seq: number | null }[];
  /** Rows of any other tables asked for (`when({ also })`), by table. */
  also: Record<string, Record<string, unknown>[]>;
}

/** An event at a stream sequence (its subject is the row projection's, unless given), or a delivery as is. */
export type Given = Delivery | { seq: number; event: AnyEvent; subject?: string };

export interface When {
  now: Date;
  /** Deliveries per batch, each its own `apply` (default: all in one). */
  batchSize?: number;
  /** Other tables to read back (e.g. `object_deletions`). */
  also?: string[];
  /** The query that reads the projection's rows, where `SELECT *` does not suit (dates as text, ...). */
  rowsSql?: string;
}

/** A database for projection specs: migrated, one per file and implementation (PGlite, PostgreSQL). */
export async function specDatabase(kind: 'pglite' | 'postgres'): Promise<Database & AsyncDisposable> {
  const test: TestDatabase = await testDatabaseUrl(kind);
  const db = await openDatabase(test.url, '');
  await migrate(db, catalog.migrations);
  return Object.assign(db, {
    async [Symbol.asyncDispose]() {
      await db.close();
      await test.drop();
    },
  });
}

class Rollback extends Error {}

/**
 * `given(deliveries).when({ now, batchSize }).then(({ rows, purges }) => ...)`: a projection's
 * behaviour against a real database. The deliveries are applied in stream order, in batches,
 * inside one transaction that is rolled back afterwards, so every spec starts from empty tables.
 */
export function projectionSpec(db: () => Database, projection: Projection) {
  const subjectOf = (event: AnyEvent): string => {
    const spec = (projection as Partial<RowProjection<AnyEvent, never>>).spec;
    return spec && spec.handles(event) ? spec.subject(event.tenant, spec.idOf(event)) : `${event.type}.${event.tenant}`;
  };
  return {
    given(...given: Given[]) {
      const deliveries: Delivery[] = given.map((g) => ('event' in g ? { seq: g.seq, subject: g.subject ?? subjectOf(g.event), event: g.event } : g));
      return {
        async when(w: When): Promise<Outcome> {
          let outcome: Outcome | undefined;
          await db()
            .transaction(async (tx) => {
              const size = w.batchSize ?? Math.max(1, deliveries.length);
              for (let i = 0; i < deliveries.length; i += size) await projection.apply(tx, deliveries.slice(i, i + size), w.now);
              outcome = await readBack(tx, projection, w);
              throw new Rollback();
            })
            .catch((err: unknown) => {
              if (!(err instanceof Rollback)) throw err;
            });
          return outcome!;
        },
      };
    },
  };
}

async function readBack(tx: Queryable, projection: Projection, w: When): Promise<Outcome> {
  const rowsOf = async (sql: string) => sortRows((await tx.query<Record<string, unknown>>(sql)).map(plain));
  const purges = await tx.query<{ stream: string; subject: string; up_to_seq: number | null }>('SELECT stream, subject, up_to_seq FROM purge_queue ORDER BY id');
  const rows = w.rowsSql ? await rowsOf(w.rowsSql) : projection.table ? await rowsOf(`SELECT * FROM ${projection.table}`) : [];
  const out: Outcome = { rows, purges: purges.map((p) => ({ ...p })), also: {} };
  for (const table of w.also ?? []) out.also[table] = await rowsOf(`SELECT * FROM ${table}`);
  return out;
}

/** Times as ISO strings, counters as numbers, numerics as text: rows comparable with `toEqual`. */
function plain(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) {
    out[k] = v instanceof Date ? v.toISOString() : typeof v === 'bigint' ? Number(v) : v;
  }
  return out;
}

const sortRows = (rows: Record<string, unknown>[]) => rows.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
