import type { Queryable } from './database.ts';

/** A stored request: its body hash, and once done its response (gone: the response's item went). */
export interface IdempotencyRecord {
  body_hash: string;
  state: 'running' | 'done' | 'gone';
  status: number | null;
  content_type: string | null;
  response: string | null;
  response_expires_at: Date | null;
}

/** (tenant, procedure, key) */
export type IdempotencyKey = readonly [tenant: string, procedure: string, key: string];

/**
 * Claims a key for a new request: a fresh key, one whose record has expired, or one held by a
 * request that died (`running` since before `staleBefore`). False when another holds it.
 */
export async function claimKey(q: Queryable, ids: IdempotencyKey, bodyHash: string, now: Date, expiresAt: Date, staleBefore: Date): Promise<boolean> {
  const claimed = await q.query(
    `INSERT INTO idempotency_keys (tenant, procedure, key, body_hash, state, expires_at)
     VALUES ($1, $2, $3, $4, 'running', $5)
     ON CONFLICT (tenant, procedure, key) DO UPDATE SET body_hash = excluded.body_hash, state = 'running', created_at = now(),
       expires_at = excluded.expires_at, status = NULL, content_type = NULL, response = NULL, response_expires_at = NULL, items = '{}'
       WHERE idempotency_keys.expires_at <= $6 OR (idempotency_keys.state = 'running' AND idempotency_keys.created_at < $7)
     RETURNING 1`,
    [...ids, bodyHash, expiresAt.toISOString(), now.toISOString(), staleBefore.toISOString()],
  );
  return claimed.length > 0;
}

/** The record of a key, if there is one. */
export async function readKey(q: Queryable, ids: IdempotencyKey): Promise<IdempotencyRecord | undefined> {
  const [rec] = await q.query<IdempotencyRecord>(
    'SELECT body_hash, state, status, content_type, response, response_expires_at FROM idempotency_keys WHERE tenant = $1 AND procedure = $2 AND key = $3',
    [...ids],
  );
  return rec;
}

/** Stores a request's response, tied to the items it published events about and to their earliest expiry. */
export async function finishKey(
  q: Queryable,
  ids: IdempotencyKey,
  res: { status: number; contentType: string | null; body: string; items: readonly string[]; expiresAt: Date | undefined },
): Promise<void> {
  await q.query(
    `UPDATE idempotency_keys SET state = 'done', status = $4, content_type = $5, response = $6, items = $7, response_expires_at = $8
     WHERE tenant = $1 AND procedure = $2 AND key = $3 AND state = 'running'`,
    [...ids, res.status, res.contentType, res.body, [...res.items], res.expiresAt?.toISOString() ?? null],
  );
}

/** Gives a key up after a failed request (errors are not remembered: the client may fix the request and retry). */
export async function releaseKey(q: Queryable, ids: IdempotencyKey): Promise<void> {
  await q.query("DELETE FROM idempotency_keys WHERE tenant = $1 AND procedure = $2 AND key = $3 AND state = 'running'", [...ids]);
}

/**
 * Drops the stored responses that show any of these items (deleted, or expired): a retry of
 * their requests then answers 410 and shows nothing of them. Run in the transaction that
 * removes the items.
 */
export async function forgetResponses(q: Queryable, items: readonly string[]): Promise<void> {
  if (items.length === 0) return;
  await q.query(
    "UPDATE idempotency_keys SET state = 'gone', response = NULL, content_type = NULL, status = NULL WHERE items && $1::text[] AND state = 'done'",
    [[...items]],
  );
}

/** Drops the stored responses whose items' time has passed; returns how many. */
export async function expireResponses(q: Queryable, now: Date): Promise<number> {
  const rows = await q.query(
    "UPDATE idempotency_keys SET state = 'gone', response = NULL, content_type = NULL, status = NULL WHERE state = 'done' AND response_expires_at <= $1 RETURNING 1",
    [now.toISOString()],
  );
  return rows.length;
}
