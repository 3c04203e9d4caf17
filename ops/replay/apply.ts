import type { Projection } from '../../consumers/projection/projection.ts';
import type { Queryable } from '../../server/platform/db/database.ts';
import type { DecodedBatch } from './decode.ts';

/**
 * Applies what `batch` holds after `afterSeq` with the projection's own `apply`, in the
 * caller's transaction, to whatever tables the search path names. Returns how many events and
 * markers it applied.
 */
export async function applyBatch(tx: Queryable, projection: Projection, batch: DecodedBatch, afterSeq: number, now: Date): Promise<number> {
  const fresh = batch.deliveries.filter((d) => d.seq > afterSeq);
  if (fresh.length > 0) await projection.apply(tx, fresh, now);
  return fresh.length;
}
