import { createHash } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { Database } from '../../platform/db/database.ts';
import { MayflyError } from '../../platform/errors.ts';
import { withIdSeed } from '../../platform/events/ids.ts';
import '../variables.ts';

/** How long a key is remembered at most. */
const MAX_TTL_MS = 24 * 3_600_000;
/** A `running` record older than this belongs to a request that died: a retry may take over. */
const STALE_MS = 60_000;
/** How long a concurrent request with the same key waits for the first to finish. */
const WAIT_MS = 10_000;

interface IdempotencyRecord {
  body_hash: string;
  state: 'running' | 'done';
  status: number | null;
  content_type: string | null;
  response: string | null;
}

const KEY = /^[\x21-\x7e]{1,255}$/;

/** The earliest `expires_at` anywhere in a JSON response: the record must not outlive it. */
export function earliestExpiry(text: string): number | undefined {
  let earliest: number | undefined;
  const walk = (v: unknown, depth: number): void => {
    if (depth > 8 || v === null || typeof v !== 'object') return;
    for (const [k, x] of Object.entries(v)) {
      if (k === 'expires_at' && typeof x === 'string') {
        const t = Date.parse(x);
        if (!Number.isNaN(t) && (earliest === undefined || t < earliest)) earliest = t;
      } else walk(x, depth + 1);
    }
  };
  try {
    walk(JSON.parse(text), 0);
  } catch {
    // not JSON
  }
  return earliest;
}

/**
 * `Idempotency-Key` on mutations (REST and tRPC alike): the first response to a key, tenant,
 * procedure and body is stored and replayed to retries with `Idempotent-Replayed: true`; the
 * same key with another body is 409 IDEMPOTENCY_KEY_REUSED; a concurrent request with the key
 * waits for the first. Ids made while handling are derived from the key, so even a retry of a
 * request whose response was lost publishes nothing new (JetStream dedups by event id).
 */
export function idempotency(db: Database, now: () => Date): MiddlewareHandler {
  return async (c, next) => {
    const key = c.req.header('idempotency-key');
    if (key === undefined || c.req.method === 'GET' || c.req.method === 'HEAD') return next();
    if (!KEY.test(key)) throw new MayflyError('BAD_REQUEST', 'Idempotency-Key must be 1-255 printable ASCII characters');
    const tenant = c.get('tenant') ?? '-';
    const procedure = c.get('calls').join(',') || c.req.path;
    const body = await c.req.text();
    const bodyHash = createHash('sha256').update(`${c.req.method} ${c.req.path}?${new URL(c.req.url).search}\n${body}`).digest('hex');
    const ids = [tenant, procedure, key] as const;

    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const claimed = await db.query(
        `INSERT INTO idempotency_keys (tenant, procedure, key, body_hash, state, expires_at)
         VALUES ($1, $2, $3, $4, 'running', $5)
         ON CONFLICT (tenant, procedure, key) DO UPDATE SET body_hash = excluded.body_hash, state = 'running', created_at = now(), expires_at = excluded.expires_at
           WHERE idempotency_keys.expires_at <= $6 OR (idempotency_keys.state = 'running' AND idempotency_keys.created_at < $7)
         RETURNING 1`,
        [...ids, bodyHash, new Date(now().getTime() + MAX_TTL_MS).toISOString(), now().toISOString(), new Date(now().getTime() - STALE_MS).toISOString()],
      );
      if (claimed.length > 0) break;
      const [rec] = await db.query<IdempotencyRecord>(
        'SELECT body_hash, state, status, content_type, response FROM idempotency_keys WHERE tenant = $1 AND procedure = $2 AND key = $3',
        [...ids],
      );
      if (!rec) continue; // the first request failed and gave the key up: try again
      if (rec.body_hash !== bodyHash) {
        throw new MayflyError('IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was used with another request body');
      }
      if (rec.state === 'done') {
        return new Response(rec.response, {
          status: rec.status ?? 200,
          headers: { 'content-type': rec.content_type ?? 'application/json', 'Idempotent-Replayed': 'true' },
        });
      }
      if (Date.now() > deadline) {
        throw new MayflyError('CONFLICT', 'a request with this Idempotency-Key is still in progress; retry later', { retryAfter: 1 });
      }
      await new Promise((r) => setTimeout(r, 25));
    }

    try {
      await withIdSeed(`${tenant}\u0000${procedure}\u0000${key}`, () => next());
    } catch (err) {
      await release(db, ids);
      throw err;
    }
    const res = c.res;
    if (res.status >= 200 && res.status < 300) {
      const text = await res.clone().text();
      const expires = Math.min(now().getTime() + MAX_TTL_MS, earliestExpiry(text) ?? Number.POSITIVE_INFINITY);
      await db.query(
        `UPDATE idempotency_keys SET state = 'done', status = $4, content_type = $5, response = $6, expires_at = $7
         WHERE tenant = $1 AND procedure = $2 AND key = $3`,
        [...ids, res.status, res.headers.get('content-type'), text, new Date(expires).toISOString()],
      );
    } else {
      // Errors are not remembered: the client may fix the request and retry with the key.
      await release(db, ids);
    }
  };
}

async function release(db: Database, ids: readonly [string, string, string]): Promise<void> {
  await db.query("DELETE FROM idempotency_keys WHERE tenant = $1 AND procedure = $2 AND key = $3 AND state = 'running'", [...ids]);
}
