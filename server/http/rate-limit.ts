import type { Context as HonoContext, MiddlewareHandler } from 'hono';
import type { RateLimits } from '@mayfly/contracts';
import type { Database } from '../platform/db/database.ts';
import { MayflyError } from '../platform/errors.ts';

/** A limit: so many requests per window. */
export interface Limit {
  max: number;
  windowMs: number;
}

const UNITS: Record<string, number> = { s: 1_000, sec: 1_000, second: 1_000, min: 60_000, minute: 60_000, h: 3_600_000, hour: 3_600_000 };

/** Parses `30/min`, `5/s`, `1000/hour`. */
export function parseRate(rate: string): Limit {
  const m = /^(\d+)\/(\w+)$/.exec(rate);
  const unit = m ? UNITS[m[2]!] : undefined;
  if (!m || !unit) throw new Error(`not a rate: ${rate}`);
  return { max: Number(m[1]), windowMs: unit };
}

/** The seeds' defaults: health 10/min per client address, bots.execute 30/min per app; the rest generous. */
export const DEFAULT_RATES: Record<string, string> = { health: '10/min', 'bots.execute': '30/min', '*': '1200/min' };

/** Where a request's limit comes from: the app's own, then configuration, then the defaults. */
export function limitFor(procedure: string, appLimits: RateLimits | undefined, configured: Record<string, string>): Limit {
  const rate = appLimits?.[procedure] ?? configured[procedure] ?? DEFAULT_RATES[procedure] ?? configured['*'] ?? DEFAULT_RATES['*']!;
  return parseRate(rate);
}

/** Where window counts live: one count per bucket and window, shared by whoever must agree. */
export interface RateCounter {
  /** Adds one to the bucket's window and returns the new count. */
  increment(bucket: string, windowStart: number, windowEnd: number): Promise<number>;
}

/**
 * Counts in Postgres: every instance of a deployment sees the same counts. Only for `pg`:
 * an embedded PGlite database belongs to one process, which counts in memory instead.
 *
 * The increments asked for during one turn of the event loop go to Postgres as one statement,
 * one row per bucket and window with how many were asked; each caller gets the count its own
 * increment made, exactly as if they had run one by one. A lone request still costs one
 * statement; under load, a round trip is shared by every request that arrived with it.
 */
export function databaseCounter(db: Database): RateCounter {
  interface Ask {
    bucket: string;
    windowStart: number;
    windowEnd: number;
    resolve: (count: number) => void;
    reject: (err: unknown) => void;
  }
  let queue: Ask[] = [];
  const flush = async () => {
    const asks = queue;
    queue = [];
    const groups = new Map<string, Ask[]>();
    for (const a of asks) {
      const key = `${a.windowStart}|${a.bucket}`;
      const g = groups.get(key);
      if (g) g.push(a);
      else groups.set(key, [a]);
    }
    const rowsAsked = [...groups.values()];
    try {
      const rows = await db.query<{ bucket: string; start_ms: number; count: number }>(
        `INSERT INTO rate_windows (bucket, window_start, count, expires_at)
         SELECT b, to_timestamp(s / 1000.0), n, to_timestamp(e / 1000.0)
         FROM unnest($1::text[], $2::bigint[], $3::int[], $4::bigint[]) AS u(b, s, n, e)
         ON CONFLICT (bucket, window_start) DO UPDATE SET count = rate_windows.count + excluded.count
         RETURNING bucket, (extract(epoch FROM window_start) * 1000)::bigint AS start_ms, count`,
        [rowsAsked.map((g) => g[0]!.bucket), rowsAsked.map((g) => g[0]!.windowStart), rowsAsked.map((g) => g.length), rowsAsked.map((g) => g[0]!.windowEnd)],
      );
      for (const row of rows) {
        const key = `${row.start_ms}|${row.bucket}`;
        const g = groups.get(key);
        // The group's increments were the last g.length of the new count, in arrival order.
        g?.forEach((a, i) => a.resolve(row.count - g.length + 1 + i));
        groups.delete(key);
      }
      for (const g of groups.values()) for (const a of g) a.reject(new Error('the rate-limit count came back incomplete'));
    } catch (err) {
      for (const a of asks) a.reject(err);
    }
  };
  return {
    increment(bucket, windowStart, windowEnd) {
      return new Promise<number>((resolve, reject) => {
        if (queue.length === 0) setImmediate(() => void flush());
        queue.push({ bucket, windowStart, windowEnd, resolve, reject });
      });
    },
  };
}

/** Counts in this process's memory (a single-process deployment: embedded PGlite). */
export function memoryCounter(): RateCounter {
  const windows = new Map<string, { end: number; count: number }>();
  return {
    async increment(bucket, windowStart, windowEnd) {
      const key = `${bucket}|${windowStart}`;
      const w = windows.get(key) ?? { end: windowEnd, count: 0 };
      w.count += 1;
      windows.set(key, w);
      if (windows.size > 10_000) for (const [k, v] of windows) if (v.end <= windowStart) windows.delete(k);
      return w.count;
    },
  };
}

/** Counts a request in its fixed window; what the RateLimit headers need. */
export async function take(counter: RateCounter, bucket: string, limit: Limit, now: Date) {
  const start = Math.floor(now.getTime() / limit.windowMs) * limit.windowMs;
  const count = await counter.increment(bucket, start, start + limit.windowMs);
  const resetSeconds = Math.max(1, Math.ceil((start + limit.windowMs - now.getTime()) / 1000));
  return { allowed: count <= limit.max, remaining: Math.max(0, limit.max - count), resetSeconds };
}

/**
 * Rate limits per app and procedure (and per client address for /health): 429 with
 * Retry-After and RateLimit-Limit/Remaining/Reset on every limited route.
 */
export function rateLimit(opts: {
  counter: RateCounter;
  configured: Record<string, string>;
  now: () => Date;
  /** The bucket owner and procedures of a request; null: not limited. */
  subject: (c: HonoContext) => { owner: string; procedures: string[]; appLimits?: RateLimits } | null;
  onStoreError?: (err: unknown) => void;
}): MiddlewareHandler {
  return async (c, next) => {
    const who = opts.subject(c);
    if (!who) return next();
    const now = opts.now();
    let tightest: { limit: Limit; remaining: number; resetSeconds: number } | undefined;
    for (const procedure of who.procedures) {
      const limit = limitFor(procedure, who.appLimits, opts.configured);
      let r: Awaited<ReturnType<typeof take>>;
      try {
        r = await take(opts.counter, `${who.owner}|${procedure}`, limit, now);
      } catch (err) {
        // The counter store is down: serve (writes still land in the broker) rather than fail
        // every request; the outage itself is logged and reported by admin.healthDetailed.
        opts.onStoreError?.(err);
        continue;
      }
      if (!tightest || r.remaining < tightest.remaining) tightest = { limit, ...r };
      if (!r.allowed) {
        c.header('RateLimit-Limit', String(limit.max));
        c.header('RateLimit-Remaining', '0');
        c.header('RateLimit-Reset', String(r.resetSeconds));
        throw new MayflyError('TOO_MANY_REQUESTS', `rate limit of ${limit.max} per ${limit.windowMs / 1000} s reached for ${procedure}`, {
          retryAfter: r.resetSeconds,
        });
      }
    }
    await next();
    if (tightest) {
      c.res.headers.set('RateLimit-Limit', String(tightest.limit.max));
      c.res.headers.set('RateLimit-Remaining', String(tightest.remaining));
      c.res.headers.set('RateLimit-Reset', String(tightest.resetSeconds));
    }
  };
}
