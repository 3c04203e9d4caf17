import { STREAMS, type AnyEvent, type StreamName } from '@mayfly/contracts';
import type { Queryable } from '../../server/platform/db/database.ts';
import { forgetResponses } from '../../server/platform/db/idempotency.ts';
import type { Delivery } from '../../server/platform/events/decode.ts';
import { itemOf } from '../../server/platform/events/ids.ts';
import { enqueuePurges, type Purge } from '../reconciler/expiring-table.ts';
import type { BulkLoad, Projection } from './projection.ts';

/** The key of an item: one row of a row projection. */
export interface RowKey {
  tenant: string;
  id: string;
}

/** What every row of a row projection has: its key, when it expires, and the stream sequence it came from. */
export interface BaseRow extends RowKey {
  expires_at: string;
  last_seq: number;
}

/** A Postgres type of a column, as UNNEST takes arrays of it. */
export type ColumnType = 'text' | 'uuid' | 'timestamptz' | 'bigint' | 'integer' | 'boolean' | 'jsonb';

/**
 * A projection whose rows are items keyed by (tenant, id), each the fold of its events: declare
 * the table, the columns and `evolve`, and `rowProjection` does the rest the same way for all
 * (STYLE 21): the batched fold, one UNNEST upsert, one delete, the queued purges of what left
 * the table, and the broker's delete markers.
 */
export interface RowProjectionSpec<E extends AnyEvent, Row extends BaseRow> {
  name: string;
  stream: StreamName;
  table: string;
  /** Every column in the order the table has them, with its type; `tenant` and `id` are the primary key. */
  columns: { [K in keyof Row & string]: ColumnType };
  /** The events this projection folds (others in the stream are passed over). */
  handles(event: AnyEvent): event is E;
  /** The id of the item an event is about (its tenant is the event's). */
  idOf(event: E): string;
  /**
   * The item's state after `event`: the row to keep, or null when the item is gone. `prev` is
   * its state before (from earlier in the batch, or with `readsStoredRows` from the table;
   * otherwise null when the batch has not seen it).
   */
  evolve(prev: Row | null, event: E, seq: number): Row | null;
  /** The subject of the item's messages. */
  subject(tenant: string, id: string): string;
  /** The item a subject names (delete markers carry a subject), or undefined for one of another kind. */
  keyOfSubject(subject: string): RowKey | undefined;
  /** `evolve` needs the stored row for an item's first event in a batch (events that change part of a row). */
  readsStoredRows?: boolean;
  /** A row that stays in the table while its messages leave the broker now (a tombstone holding no secret). */
  purgeWhileKept?(row: Row): boolean;
  /** Called in the transaction with every item that left (deleted, expired, or expired in the broker). */
  onGone?(tx: Queryable, gone: RowKey[]): Promise<void>;
}

/** What a batch does to one item: its final state, and the sequence of the last delivery that touched it. */
interface Final<Row> {
  key: RowKey;
  row: Row | null;
  seq: number;
  /** The broker already dropped its messages (a delete marker came last): nothing to purge. */
  expiredInBroker: boolean;
}

const keyString = (k: RowKey) => `${k.tenant}\u0000${k.id}`;

/** A row projection's plan for one batch: rows to write, items that are gone, messages to purge. */
export interface RowPlan<Row> {
  keep: Row[];
  gone: (RowKey & { seq: number })[];
  purges: Purge[];
}

/** A declared row projection: a {@link Projection}, and its pure parts for tests. */
export interface RowProjection<E extends AnyEvent, Row extends BaseRow> extends Projection {
  readonly spec: RowProjectionSpec<E, Row>;
  /** Folds a batch in stream order into what must be written: no database, no clock but `now`. */
  plan(batch: readonly Delivery[], now: Date, stored?: ReadonlyMap<string, Row>): RowPlan<Row>;
}

/**
 * Declares a row projection. Its `apply`, for each batch (already in stream order, nothing the
 * checkpoint covers):
 * 1. folds every item's deliveries with `evolve` (a delete marker makes the item gone);
 * 2. upserts the items that are live (`expires_at` after `now`) with one UNNEST statement, a
 *    stored row changing only for a newer sequence;
 * 3. deletes the items that are gone or already expired, and queues the purge of their messages
 *    *below* the sequence that made them go, so a newer message on the subject (a later update)
 *    always survives: the outcome never depends on where batches begin and end;
 * 4. drops the stored idempotent responses that show an item that left, and hands those items
 *    to `onGone` (S3 objects, ...).
 */
export function rowProjection<E extends AnyEvent, Row extends BaseRow>(spec: RowProjectionSpec<E, Row>): RowProjection<E, Row> {
  const columns = Object.keys(spec.columns) as (keyof Row & string)[];
  const types = columns.map((c) => spec.columns[c]);
  const updates = columns.filter((c) => c !== 'tenant' && c !== 'id').map((c) => `${c} = excluded.${c}`);
  const upsertSql =
    `INSERT INTO ${spec.table} AS t (${columns.join(', ')}) ` +
    `SELECT * FROM unnest(${types.map((t, i) => `$${i + 1}::${t}[]`).join(', ')}) ` +
    `ON CONFLICT (tenant, id) DO UPDATE SET ${updates.join(', ')} WHERE t.last_seq < excluded.last_seq`;
  const deleteSql =
    `DELETE FROM ${spec.table} t USING unnest($1::text[], $2::uuid[], $3::bigint[]) AS x(tenant, id, seq) ` +
    'WHERE t.tenant = x.tenant AND t.id = x.id AND t.last_seq <= x.seq';
  // A bulk load (a replay's shadow table, no keys yet): rows appended as they come, with COPY,
  // and the items that went, in a table beside it, until `settle`.
  const goneTable = goneTableOf(spec.table);
  const selectSql = `SELECT ${columns.join(', ')} FROM ${spec.table} t WHERE (t.tenant, t.id) IN (SELECT * FROM unnest($1::text[], $2::uuid[]))`;
  const stream = STREAMS[spec.stream].name;

  function plan(batch: readonly Delivery[], now: Date, stored: ReadonlyMap<string, Row> = new Map()): RowPlan<Row> {
    const finals = new Map<string, Final<Row>>();
    for (const d of batch) {
      if ('expired' in d) {
        const key = spec.keyOfSubject(d.subject);
        if (key) finals.set(keyString(key), { key, row: null, seq: d.seq, expiredInBroker: true });
        continue;
      }
      if (!spec.handles(d.event)) continue;
      const key = { tenant: d.event.tenant, id: spec.idOf(d.event) };
      const k = keyString(key);
      const before = finals.get(k);
      const prev = before ? before.row : (stored.get(k) ?? null);
      finals.set(k, { key, row: spec.evolve(prev, d.event, d.seq), seq: d.seq, expiredInBroker: false });
    }
    const out: RowPlan<Row> = { keep: [], gone: [], purges: [] };
    for (const f of finals.values()) {
      const live = f.row !== null && Date.parse(f.row.expires_at) > now.getTime();
      if (live) {
        out.keep.push(f.row!);
        if (spec.purgeWhileKept?.(f.row!)) out.purges.push({ subject: spec.subject(f.key.tenant, f.key.id), upTo: f.seq + 1 });
        continue;
      }
      out.gone.push({ ...f.key, seq: f.seq });
      if (!f.expiredInBroker) out.purges.push({ subject: spec.subject(f.key.tenant, f.key.id), upTo: f.seq + 1 });
    }
    return out;
  }

  /** The stored rows of the items a batch's events touch, keyed (readsStoredRows only). */
  async function storedRows(tx: Queryable, batch: readonly Delivery[]): Promise<Map<string, Row>> {
    const keys = new Map<string, RowKey>();
    for (const d of batch) {
      if ('event' in d && spec.handles(d.event)) {
        const key = { tenant: d.event.tenant, id: spec.idOf(d.event) };
        keys.set(keyString(key), key);
      }
    }
    if (keys.size === 0) return new Map();
    const rows = await tx.query<Record<string, unknown>>(selectSql, [[...keys.values()].map((k) => k.tenant), [...keys.values()].map((k) => k.id)]);
    return new Map(rows.map((r) => [keyString(r as unknown as RowKey), fromDatabase(r, spec.columns) as Row]));
  }

  /** What every batch does beside writing rows: purges queued; for items gone, responses forgotten and `onGone`. */
  async function afterWrite(tx: Queryable, p: RowPlan<Row>): Promise<void> {
    if (p.gone.length > 0) {
      // No stored idempotent response may show what has gone.
      await forgetResponses(tx, p.gone.map((g) => itemOf(spec.subject(g.tenant, g.id))));
      await spec.onGone?.(tx, p.gone.map(({ tenant, id }) => ({ tenant, id })));
    }
    await enqueuePurges(tx, stream, p.purges);
  }

  const bulk: BulkLoad | undefined = spec.readsStoredRows
    ? undefined // `evolve` needs the stored row: only the keyed table has it
    : {
        async begin(tx) {
          await tx.query(`CREATE TABLE ${goneTable} (tenant text NOT NULL, id uuid NOT NULL, seq bigint NOT NULL)`);
        },
        async append(tx, batch, now) {
          const p = plan(batch, now);
          if (p.keep.length > 0) await tx.copyFrom(spec.table, columns, p.keep.map((r) => columns.map((c, i) => toDatabase(r[c], types[i]!))));
          if (p.gone.length > 0) await tx.copyFrom(goneTable, ['tenant', 'id', 'seq'], p.gone.map((g) => [g.tenant, g.id, g.seq]));
          await afterWrite(tx, p);
        },
        prune: (tx) => pruneGone(tx, spec.table, goneTable),
        async settle(tx) {
          await pruneGone(tx, spec.table, goneTable);
          await tx.query(
            `DELETE FROM ${spec.table} t USING (SELECT tenant, id, max(last_seq) AS seq FROM ${spec.table} GROUP BY tenant, id HAVING count(*) > 1) l ` +
              'WHERE t.tenant = l.tenant AND t.id = l.id AND t.last_seq < l.seq',
          );
          await tx.query(`DROP TABLE ${goneTable}`);
        },
      };

  return {
    name: spec.name,
    stream: spec.stream,
    table: spec.table,
    spec,
    plan,
    ...(bulk ? { bulk } : {}),
    async apply(tx, batch, now) {
      const p = plan(batch, now, spec.readsStoredRows ? await storedRows(tx, batch) : undefined);
      if (p.keep.length > 0) await tx.query(upsertSql, columns.map((c, i) => p.keep.map((r) => toDatabase(r[c], types[i]!))));
      if (p.gone.length > 0) await tx.query(deleteSql, [p.gone.map((g) => g.tenant), p.gone.map((g) => g.id), p.gone.map((g) => g.seq)]);
      await afterWrite(tx, p);
    },
  };
}

/** The table beside a bulk-loaded `table` that holds the items gone while it loads (key and sequence, no content). */
export const goneTableOf = (table: string) => `${table}__gone`;

/**
 * Deletes the rows of `table` (a bulk load's, unkeyed) that an item's going made stale: those at
 * or below the sequence it went at. The entries applied are deleted with them (a row appended
 * later is newer). Returns how many rows went. Names as SQL takes them (qualified or not).
 */
export async function pruneGone(q: Queryable, table: string, gone: string): Promise<number> {
  const [row] = await q.query<{ n: number }>(
    `WITH applied AS (DELETE FROM ${gone} RETURNING tenant, id, seq), ` +
      `pruned AS (DELETE FROM ${table} t USING (SELECT tenant, id, max(seq) AS seq FROM applied GROUP BY tenant, id) g ` +
      'WHERE t.tenant = g.tenant AND t.id = g.id AND t.last_seq <= g.seq RETURNING 1) ' +
      'SELECT count(*)::int AS n FROM pruned',
  );
  return row?.n ?? 0;
}

/** A value as its UNNEST array takes it (JSON for jsonb; absent as NULL). */
function toDatabase(v: unknown, type: ColumnType): unknown {
  if (v === undefined || v === null) return null;
  return type === 'jsonb' ? JSON.stringify(v) : v;
}

/** A stored row as `evolve` sees rows: times as ISO strings, sequences as numbers. */
function fromDatabase(r: Record<string, unknown>, columns: Record<string, ColumnType>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [c, type] of Object.entries(columns)) {
    const v = r[c];
    out[c] = v === null || v === undefined ? null : type === 'timestamptz' ? new Date(v as string | Date).toISOString() : type === 'bigint' ? Number(v) : v;
  }
  return out;
}
