import type { Projection } from '../../consumers/projection/projection.ts';
import type { Queryable } from '../../server/platform/db/database.ts';
import type { DecodedBatch } from './decode.ts';

/**
 * Applies the events of `batch` after `afterSeq` with the projection's own `apply` (and its
 * `forget` for delete markers), in the caller's transaction, to whatever tables the search
 * path names. Returns how many events it applied.
 */
export async function applyBatch(tx: Queryable, projection: Projection, batch: DecodedBatch, afterSeq: number, now: Date): Promise<number> {
  const fresh = batch.events.filter((e) => e.seq > afterSeq);
  if (fresh.length > 0) await projection.apply(tx, fresh, now);
  if (batch.expiredSubjects.length > 0) await projection.forget?.(tx, batch.expiredSubjects);
  return fresh.length;
}
