import { createHash, createHmac } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import { constantTimeEqual } from '../../platform/credentials.ts';
import { MayflyError } from '../../platform/errors.ts';
import '../variables.ts';

/** The dashboard's session cookie: HttpOnly, SameSite=Strict, Secure over HTTPS, no expiry (gone with the browser session). */
export const SESSION_COOKIE = 'mayfly_admin';

/** A session is refused after this long, even while the browser keeps the cookie. */
export const SESSION_MAX_AGE_MS = 12 * 3_600_000;

export interface SessionKeys {
  /** The server secret (SECRET_KEY): every instance of a deployment shares it, so any of them accepts the cookie. */
  secretKey: Uint8Array;
  /** ADMIN_TOKEN: a new token ends every session made with the old one. */
  adminToken: string;
}

const mac = (keys: SessionKeys, issuedAt: number) =>
  createHmac('sha256', keys.secretKey)
    .update(`mayfly-admin-session|${issuedAt}|${createHash('sha256').update(keys.adminToken).digest('hex')}`)
    .digest('base64url');

/**
 * A session value: when it was issued and a MAC over that and the admin token, so the cookie
 * carries no secret (not the token, not a key) and needs no storage shared between instances.
 */
export function issueSession(keys: SessionKeys, now: Date): string {
  const issuedAt = now.getTime();
  return `${issuedAt}.${mac(keys, issuedAt)}`;
}

/** Whether a cookie value is a session of this admin token, not older than SESSION_MAX_AGE_MS. */
export function validSession(keys: SessionKeys, value: string | undefined, now: Date): boolean {
  const m = /^(\d{13})\.([A-Za-z0-9_-]{43})$/.exec(value ?? '');
  if (!m) return false;
  const issuedAt = Number(m[1]);
  const age = now.getTime() - issuedAt;
  if (age < -60_000 || age > SESSION_MAX_AGE_MS) return false;
  return constantTimeEqual(m[2]!, mac(keys, issuedAt));
}

/** Whether the request came over HTTPS (directly, or through a proxy that says so): the cookie is then Secure. */
export function overHttps(c: Context): boolean {
  return new URL(c.req.url).protocol === 'https:' || c.req.header('x-forwarded-proto')?.split(',')[0]?.trim() === 'https';
}

/**
 * A state-changing request on a cookie session must come from a page of this origin
 * (SameSite=Strict already keeps the cookie off other sites' requests; this is the second
 * lock): `Sec-Fetch-Site`, where the browser sends it, must say same-origin, and `Origin` must
 * name the host the request was sent to. Under the service's `Referrer-Policy: no-referrer`
 * a browser sends `Origin: null` on a page's own posts: then `Sec-Fetch-Site` alone decides
 * (a header no page can set).
 */
export function sameOrigin(c: Context): boolean {
  const fetchSite = c.req.header('sec-fetch-site');
  if (fetchSite !== undefined && fetchSite !== 'same-origin') return false;
  const origin = c.req.header('origin');
  if (!origin || origin === 'null') return fetchSite === 'same-origin';
  try {
    return new URL(origin).host === (c.req.header('host') ?? new URL(c.req.url).host);
  } catch {
    return false;
  }
}

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Lets the dashboard call the admin procedures with its session cookie instead of the bearer
 * token (which the page never sees): on admin calls without an Authorization header, a valid
 * cookie marks the request `adminSession`; a state-changing one must also pass `sameOrigin`.
 * Anything else goes on untouched, and the admin procedures answer it as they always do.
 */
export function adminSession(keys: () => SessionKeys | undefined, now: () => Date): MiddlewareHandler {
  return async (c, next) => {
    const k = keys();
    const calls = c.get('calls') ?? [];
    const admin = calls.length > 0 ? calls.every((p) => p.startsWith('admin.')) : c.req.path.startsWith('/api/v1/admin/');
    if (k && admin && c.req.header('authorization') === undefined && validSession(k, getCookie(c, SESSION_COOKIE), now())) {
      if (!SAFE.has(c.req.method) && !sameOrigin(c)) throw new MayflyError('FORBIDDEN', 'a dashboard session may change things only from a page of this origin');
      c.set('adminSession', true);
    }
    await next();
  };
}
