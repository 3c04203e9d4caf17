import type { Context, Hono } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { constantTimeEqual } from '../../platform/credentials.ts';
import { clientAddress, type TrustedProxies } from '../middleware/client-address.ts';
import { limitFor, take, type RateLimitDeps } from '../middleware/rate-limit.ts';
import { ASSET_TYPES, dashboardAsset } from './assets.ts';
import { dashboardPage, DASHBOARD_CSP, forbiddenPage, loginPage } from './pages.ts';
import { issueSession, overHttps, sameOrigin, SESSION_COOKIE, validSession, type SessionKeys } from './session.ts';

export interface DashboardDeps {
  /** The session keys, or undefined while ADMIN_TOKEN is unset (the dashboard answers 403). */
  keys: () => SessionKeys | undefined;
  limits: RateLimitDeps & { trustedProxies: TrustedProxies };
  now: () => Date;
}

/** The paths the dashboard answers, with their methods (for the 405 check). */
export function dashboardMethods(path: string): readonly string[] | undefined {
  if (path === '/admin') return ['GET'];
  if (path === '/admin/login' || path === '/admin/logout') return ['POST'];
  if (path.startsWith('/admin/assets/') && path.slice(14) in ASSET_TYPES) return ['GET'];
  return undefined;
}

/** Pages answered at /admin/login and /admin/logout link relative to /admin/. */
const ROOT = './';

const html = (c: Context, body: string, status: 200 | 401 | 403 | 429 | 400 = 200) => {
  c.header('Content-Security-Policy', DASHBOARD_CSP);
  c.header('Cache-Control', 'no-store');
  return c.html(body, status);
};

/**
 * The operator's dashboard at /admin: a sign-in form for ADMIN_TOKEN that sets a session
 * cookie (see session.ts), the page, and its script and stylesheet. The page reads and changes
 * things only through the admin procedures (/api/v1/admin), with that cookie.
 */
export function dashboardRoutes(app: Hono, deps: DashboardDeps): void {
  const signedIn = (c: Context, keys: SessionKeys) => validSession(keys, getCookie(c, SESSION_COOKIE), deps.now());

  app.get('/admin', (c) => {
    const keys = deps.keys();
    if (!keys) return html(c, forbiddenPage('admin/'), 403);
    return html(c, signedIn(c, keys) ? dashboardPage() : loginPage('admin/'));
  });

  app.post('/admin/login', async (c) => {
    const keys = deps.keys();
    if (!keys) return html(c, forbiddenPage(ROOT), 403);
    // A login form posted from another site would sign the victim in as the attacker's operator.
    if (!sameOrigin(c)) return html(c, loginPage(ROOT, 'Sign in from this page, please (the request came from another origin).'), 403);
    // Every attempt counts against the admin calls' per-address limit: guessing costs the guesser.
    const { limits } = deps;
    const limit = limitFor('admin', undefined, limits.configured);
    const r = await take(limits.counter, `ip:${clientAddress(c, limits.trustedProxies)}|admin`, limit, deps.now()).catch(() => undefined);
    if (r && !r.allowed) {
      c.header('Retry-After', String(r.resetSeconds));
      return html(c, loginPage(ROOT, `Too many attempts from this address: try again in ${r.resetSeconds} s.`), 429);
    }
    let token: unknown;
    try {
      token = (await c.req.parseBody())['token'];
    } catch {
      return html(c, loginPage(ROOT, 'The form could not be read: send it again.'), 400);
    }
    if (typeof token !== 'string' || token.length === 0 || token.length > 1024 || !constantTimeEqual(token, keys.adminToken)) {
      return html(c, loginPage(ROOT, 'That is not the admin token.'), 401);
    }
    setCookie(c, SESSION_COOKIE, issueSession(keys, deps.now()), { path: '/', httpOnly: true, sameSite: 'Strict', secure: overHttps(c) });
    c.header('Cache-Control', 'no-store');
    return c.redirect('../admin', 303);
  });

  app.post('/admin/logout', (c) => {
    if (!sameOrigin(c)) return html(c, loginPage(ROOT), 403);
    deleteCookie(c, SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'Strict', secure: overHttps(c) });
    return c.redirect('../admin', 303);
  });

  app.get('/admin/assets/:file', async (c, next) => {
    const name = c.req.param('file');
    const file = dashboardAsset(name);
    if (!file) return next();
    c.header('Content-Type', ASSET_TYPES[name]);
    c.header('Content-Security-Policy', DASHBOARD_CSP);
    c.header('Cache-Control', 'no-cache');
    return c.body(await file);
  });
}
