import type { Context as HonoContext, MiddlewareHandler } from 'hono';
import type { TenantRegistry } from '../../../consumers/tenant-registry.ts';
import type { Logger } from '../../platform/logger.ts';
import { clientAddress, isLoopback, type TrustedProxies } from './client-address.ts';
import '../variables.ts';
import type { RateLimits } from '@mayfly/contracts';
import { MayflyError } from '../../platform/errors.ts';
import type { RateCounter } from './rate-counters.ts';

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

/** The seeds' defaults: health 10/min per client address, bots.execute 30/min per app, admin calls 600/min per address; the rest generous. */
export const DEFAULT_RATES: Record<string, string> = { health: '10/min', 'bots.execute': '30/min', admin: '600/min', '*': '1200/min' };

/** Where a request's limit comes from: the app's own, then configuration, then the defaults. */
export function limitFor(procedure: string, appLimits: RateLimits | undefined, configured: Record<string, string>): Limit {
  // Own properties only: a procedure named `constructor` or `__proto__` must not reach Object.prototype.
  const own = (o: Record<string, string> | undefined, k: string) => (o !== undefined && Object.hasOwn(o, k) ? o[k] : undefined);
  const rate = own(appLimits, procedure) ?? own(configured, procedure) ?? own(DEFAULT_RATES, procedure) ?? own(configured, '*') ?? DEFAULT_RATES['*']!;
  return parseRate(rate);
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

/** What the limits of one deployment need. */
export interface RateLimitDeps {
  counter: RateCounter;
  /** `RATE_LIMITS`: per procedure, `*` for the rest. */
  configured: Record<string, string>;
  now: () => Date;
}

/**
 * Per app and procedure: every call a request makes counts for its app (an app's own limits
 * first; unknown procedures share one `other` count). Admin calls, which name no app, count
 * per client address under `admin`.
 */
export function appRateLimit(deps: RateLimitDeps & { tenants: TenantRegistry; log: Logger; procedures: ReadonlySet<string>; trustedProxies: TrustedProxies }): MiddlewareHandler {
  return rateLimit({
    ...deps,
    subject: (c) => {
      const tenant = c.get('tenant');
      const calls = c.get('calls');
      if (calls.length === 0) return null;
      if (tenant === null) return { owner: `ip:${clientAddress(c, deps.trustedProxies)}`, procedures: ['admin'] };
      return { owner: `app:${tenant}`, procedures: calls.map((p) => (deps.procedures.has(p) ? p : 'other')), appLimits: deps.tenants.get(tenant)?.rateLimits };
    },
    onStoreError: (err) => deps.log.warn({ err }, 'rate-limit store unavailable; not limiting'),
  });
}

/**
 * Per client address, for routes outside the API (`/health`): `name` is the limit's key in
 * RATE_LIMITS. The address is the client's behind trusted proxies; loopback (a probe of the
 * host's own) is not limited.
 */
export function addressRateLimit(deps: RateLimitDeps & { trustedProxies: TrustedProxies }, name: string): MiddlewareHandler {
  return rateLimit({
    ...deps,
    subject: (c) => {
      const address = clientAddress(c, deps.trustedProxies);
      return isLoopback(address) ? null : { owner: `ip:${address}`, procedures: [name] };
    },
  });
}
