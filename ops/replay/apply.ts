import type { Delivery } from '../../consumers/projection/projection.ts';
import type { Queryable } from '../../server/platform/db/database.ts';
import type { DecodedBatch } from './decode.ts';

/** Writes a projection's deliveries: its own `apply`, or its bulk load's `append`. */
export type BatchWriter = (tx: Queryable, fresh: readonly Delivery[], now: Date) => Promise<void>;

/**
 * Writes what `batch` holds after `afterSeq` with `write`, in the caller's transaction, to
 * whatever tables the search path names. Returns how many events and markers it wrote.
 */
export async function applyBatch(tx: Queryable, write: BatchWriter, batch: DecodedBatch, afterSeq: number, now: Date): Promise<number> {
  const fresh = batch.deliveries.filter((d) => d.seq > afterSeq);
  if (fresh.length > 0) await write(tx, fresh, now);
  return fresh.length;
}
