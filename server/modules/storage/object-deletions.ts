import type { Queryable } from '../../platform/db/database.ts';

/** Queues S3 objects for deletion, in the caller's transaction (drained by the object reaper). */
export async function enqueueObjectDeletions(tx: Queryable, keys: string[]): Promise<void> {
  if (keys.length === 0) return;
  await tx.query('INSERT INTO object_deletions (key) SELECT unnest($1::text[])', [keys]);
}

/** The oldest queued deletions after queue position `afterId`. */
export async function queuedObjectDeletions(q: Queryable, limit: number, afterId = 0): Promise<{ id: number; key: string }[]> {
  const rows = await q.query<{ id: string | number; key: string }>('SELECT id, key FROM object_deletions WHERE id > $1 ORDER BY id LIMIT $2', [afterId, limit]);
  return rows.map((r) => ({ id: Number(r.id), key: r.key }));
}

/** Forgets deletions that are done. */
export async function dropObjectDeletions(q: Queryable, ids: number[]): Promise<void> {
  if (ids.length > 0) await q.query('DELETE FROM object_deletions WHERE id = ANY($1::bigint[])', [ids]);
}
