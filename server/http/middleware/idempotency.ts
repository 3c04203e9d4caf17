import { createHash } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { Database } from '../../platform/db/database.ts';
import { claimKey, finishKey, readKey, releaseKey, type IdempotencyKey } from '../../platform/db/idempotency.ts';
import { invalidInput, MayflyError } from '../../platform/errors.ts';
import { withIdSeed } from '../../platform/events/ids.ts';
import '../variables.ts';

/** How long a key is remembered (the record, never the content: that goes with its item). */
const RECORD_TTL_MS = 24 * 3_600_000;
/** A `running` record older than this belongs to a request that died: a retry may take over. */
const STALE_MS = 60_000;
/** How long a concurrent request with the same key waits for the first to finish. */
const WAIT_MS = 10_000;

const KEY = /^[\x21-\x7e]{1,255}$/;

/** The earliest `expires_at` anywhere in a JSON response: the stored response must not outlive it. */
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

const gone = () =>
  new MayflyError('IDEMPOTENT_RESULT_GONE', 'the result of this request is gone: what it created or changed was deleted or has expired');

/**
 * `Idempotency-Key` on mutations (REST and tRPC alike): the first response to a key, tenant,
 * procedure and body is stored and replayed to retries with `Idempotent-Replayed: true`; the
 * same key with another body is 409 IDEMPOTENCY_KEY_REUSED; a concurrent request with the key
 * waits for the first. Ids made while handling are derived from the key, so even a retry of a
 * request whose response was lost publishes nothing new (JetStream dedups by event id).
 *
 * A stored response lives no longer than the items it shows: it is dropped when one of them is
 * deleted or expires, and a retry then answers 410 IDEMPOTENT_RESULT_GONE and publishes
 * nothing. The record (key and body hash, no content) lives 24 h, longer than the broker's
 * dedup window for the ids it derives.
 */
export function idempotency(db: Database, now: () => Date): MiddlewareHandler {
  return async (c, next) => {
    const key = c.req.header('idempotency-key');
    if (key === undefined || c.req.method === 'GET' || c.req.method === 'HEAD') return next();
    if (!KEY.test(key)) {
      throw invalidInput('Idempotency-Key must be 1-255 printable ASCII characters', [
        { path: 'Idempotency-Key', message: 'must be 1-255 printable ASCII characters', code: 'invalid_format' },
      ]);
    }
    const tenant = c.get('tenant') ?? '-';
    const procedure = c.get('calls').join(',') || c.req.path;
    const body = await c.req.text();
    const bodyHash = createHash('sha256').update(`${c.req.method} ${c.req.path}?${new URL(c.req.url).search}\n${body}`).digest('hex');
    const ids: IdempotencyKey = [tenant, procedure, key];

    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const t = now();
      if (await claimKey(db, ids, bodyHash, t, new Date(t.getTime() + RECORD_TTL_MS), new Date(t.getTime() - STALE_MS))) break;
      const rec = await readKey(db, ids);
      if (!rec) continue; // the first request failed and gave the key up: try again
      if (rec.body_hash !== bodyHash) {
        throw new MayflyError('IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was used with another request body');
      }
      if (rec.state === 'gone' || (rec.state === 'done' && rec.response_expires_at !== null && rec.response_expires_at.getTime() <= t.getTime())) throw gone();
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

    let items: string[];
    try {
      ({ items } = await withIdSeed(`${tenant}\u0000${procedure}\u0000${key}`, () => next()));
    } catch (err) {
      await releaseKey(db, ids);
      throw err;
    }
    const res = c.res;
    if (res.status >= 200 && res.status < 300) {
      const text = await res.clone().text();
      const expires = earliestExpiry(text);
      await finishKey(db, ids, { status: res.status, contentType: res.headers.get('content-type'), body: text, items, expiresAt: expires === undefined ? undefined : new Date(expires) });
    } else {
      await releaseKey(db, ids);
    }
  };
}
