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

/** Queues the removal of these subjects' messages from the broker (drained by the reconciler). */
export async function enqueuePurges(tx: Queryable, stream: string, subjects: string[]): Promise<void> {
  if (subjects.length === 0) return;
  await tx.query('INSERT INTO purge_queue (stream, subject) SELECT $1, unnest($2::text[])', [stream, subjects]);
}

/**
 * Tables of short-lived records that come from no stream (idempotency records, rate-limit
 * windows): the reconciler deletes their rows once `expires_at` has passed.
 */
export const PLAIN_EXPIRING_TABLES = ['idempotency_keys', 'rate_windows'];
