import type { StreamName } from '@mayfly/contracts';
import type { Queryable } from '../../server/platform/db/database.ts';

/**
 * A projection table whose rows expire. Its rows have `tenant`, `id`, `expires_at` and
 * `last_seq` (the stream sequence they were projected from); `subject` names the item's
 * messages in the broker, so they can be removed with the row.
 */
export interface ExpiringTable {
  table: string;
  stream: StreamName;
  subject(tenant: string, id: string): string;
  /**
   * Called in the transaction that deletes rows (by TTL or lost source), with their keys: the
   * place to queue the removal of what lives outside Postgres and the broker (S3 objects).
   */
  onRemoved?(tx: Queryable, rows: { tenant: string; id: string }[]): Promise<void>;
}

/** Messages of one subject to remove from the broker: those with a sequence below `upTo`. */
export interface Purge {
  subject: string;
  /** One past the newest message the purge may remove (the state that asked for it). */
  upTo: number;
}

/**
 * Queues the removal of these messages from the broker (drained by the reconciler), in the
 * caller's transaction. `stream` is the JetStream stream name.
 */
export async function enqueuePurges(tx: Queryable, stream: string, purges: readonly Purge[]): Promise<void> {
  if (purges.length === 0) return;
  await tx.query('INSERT INTO purge_queue (stream, subject, up_to_seq) SELECT $1, s, u FROM unnest($2::text[], $3::bigint[]) AS x(s, u)', [
    stream,
    purges.map((p) => p.subject),
    purges.map((p) => p.upTo),
  ]);
}

/**
 * Tables of short-lived records that come from no stream (idempotency records, rate-limit
 * windows): the reconciler deletes their rows once `expires_at` has passed.
 */
export const PLAIN_EXPIRING_TABLES = ['idempotency_keys', 'rate_windows'];
