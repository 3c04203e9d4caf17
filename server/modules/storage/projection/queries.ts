import type { Queryable } from '../../../platform/db/database.ts';

/** A live upload of `tenant`: its key and when it expires; null when there is none. */
export async function findUpload(q: Queryable, tenant: string, id: string, now: Date): Promise<{ key: string; expires_at: Date } | null> {
  const rows = await q.query<{ key: string; expires_at: Date }>('SELECT key, expires_at FROM uploads WHERE tenant = $1 AND id = $2 AND expires_at > $3', [
    tenant,
    id,
    now.toISOString(),
  ]);
  return rows[0] ?? null;
}
