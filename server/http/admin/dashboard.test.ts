import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmbeddedNats } from '../../platform/nats/embedded-server.ts';
import { versionHasMessageTtl } from '../../platform/nats/message-ttl.ts';
import type { Mayfly } from '../../runtime/start.ts';
import { createApp } from '../app.ts';
import type { Listener } from '../serve.ts';
import { serve } from '../serve.ts';
import { browserAvailable, launchBrowser } from '../../../test/support/browser.ts';
import { recordSent } from '../../../test/support/log-audit.ts';
import { jsonRequest, startTestMayfly } from '../../../test/support/mayfly.ts';
import { startTestNats } from '../../../test/support/nats.ts';
import { DASHBOARD_CSP } from './pages.ts';
import { SESSION_COOKIE } from './session.ts';

const browser = browserAvailable();
const TOKEN = 'dashboard-admin-token-0123456789abcdef';
recordSent(undefined, { Authorization: `Bearer ${TOKEN}` });

/** A form post as a browser sends it: from the page's own origin. */
const form = (fields: Record<string, string>, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://localhost', ...headers },
  body: new URLSearchParams(fields).toString(),
});

const sessionOf = (res: Response) => /mayfly_admin=([^;]*)/.exec(res.headers.get('set-cookie') ?? '')?.[1];

describe('the operator dashboard at /admin', () => {
  let nats: EmbeddedNats;
  let mayfly: Mayfly;
  let listener: Listener;
  let origin: string;

  beforeAll(async () => {
    nats = await startTestNats();
    mayfly = await startTestMayfly({ NATS_URL: nats.url, DATABASE_URL: 'memory://', ADMIN_TOKEN: TOKEN, RECONCILE_INTERVAL_SECONDS: '2' });
    listener = await serve(mayfly.app as never, 0, '127.0.0.1');
    origin = `http://127.0.0.1:${listener.port}`;
  });
  afterAll(async () => {
    await listener?.close();
    await mayfly?.stop();
    await nats?.stop();
  });

  /** The same service with other settings (the app only: it shares the running service's broker and database). */
  const variant = (change: Partial<Mayfly['config']>) => createApp({ services: { ...mayfly.services, config: { ...mayfly.config, ...change } }, log: mayfly.services.log, metrics: mayfly.metrics });

  async function signIn(): Promise<string> {
    const res = await mayfly.app!.request('/admin/login', form({ token: TOKEN }));
    expect(res.status).toBe(303);
    return sessionOf(res)!;
  }

  it('is a 403 page, and takes no sign-in, while ADMIN_TOKEN is unset', async () => {
    const off = variant({ ADMIN_TOKEN: undefined });
    const page = await off.request('/admin');
    expect(page.status).toBe(403);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await page.text()).toContain('ADMIN_TOKEN');
    const login = await off.request('/admin/login', form({ token: TOKEN }));
    expect(login.status).toBe(403);
    expect(login.headers.get('set-cookie')).toBeNull();
  });

  it('asks for the token on a form under its own-origin policy, and refuses a wrong one clearly', async () => {
    const page = await mayfly.app!.request('/admin');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toBe(DASHBOARD_CSP);
    const html = await page.text();
    expect(html).toContain('<form method="post" action="admin/login"');
    expect(html).not.toMatch(/<script|<style|style=|https?:\/\//);
    const wrong = await mayfly.app!.request('/admin/login', form({ token: `${TOKEN}x` }));
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('set-cookie')).toBeNull();
    expect(await wrong.text()).toContain('That is not the admin token.');
    // Bad input is a 4xx page, never a 500.
    for (const init of [form({}), form({ token: '' }), form({ token: 'x'.repeat(5000) }), { ...form({}), headers: { origin: 'http://localhost', 'content-type': 'application/json' }, body: '{"token":' }]) {
      const res = await mayfly.app!.request('/admin/login', init);
      expect([400, 401]).toContain(res.status);
    }
    expect((await mayfly.app!.request('/admin/login')).status).toBe(405);
    expect((await mayfly.app!.request('/admin/assets/index.html')).status).toBe(404);
  });

  it('signs in with a session cookie: HttpOnly, SameSite=Strict, no expiry, Secure over HTTPS, holding no token', async () => {
    const res = await mayfly.app!.request('/admin/login', form({ token: TOKEN }));
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('../admin');
    const cookie = res.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^mayfly_admin=\d{13}\.[\w-]{43}; Path=\/; HttpOnly; SameSite=Strict$/);
    expect(cookie).not.toContain(TOKEN);
    const https = await mayfly.app!.request('/admin/login', form({ token: TOKEN }, { 'x-forwarded-proto': 'https' }));
    expect(https.headers.get('set-cookie')).toMatch(/; Secure/);
    // Signed in, /admin is the dashboard itself: a script of Mayfly's own.
    const page = await mayfly.app!.request('/admin', { headers: { cookie: `${SESSION_COOKIE}=${sessionOf(res)}` } });
    expect(await page.text()).toContain('<script type="module" src="admin/assets/dashboard.js"></script>');
  });

  it('signs out by clearing the cookie, from its own origin only', async () => {
    const cookie = { cookie: `${SESSION_COOKIE}=${await signIn()}` };
    expect((await mayfly.app!.request('/admin/logout', { method: 'POST', headers: { ...cookie, origin: 'https://evil.example' } })).status).toBe(403);
    const out = await mayfly.app!.request('/admin/logout', { method: 'POST', headers: { ...cookie, origin: 'http://localhost' } });
    expect(out.status).toBe(303);
    expect(out.headers.get('set-cookie')).toMatch(/^mayfly_admin=; Max-Age=0; Path=\/; HttpOnly; SameSite=Strict$/);
  });

  it('refuses a sign-in posted from another origin (login CSRF)', async () => {
    const attempts: Record<string, string>[] = [{ origin: 'https://evil.example' }, { origin: 'null' }, { origin: 'http://localhost', 'sec-fetch-site': 'cross-site' }];
    for (const headers of attempts) {
      const res = await mayfly.app!.request('/admin/login', form({ token: TOKEN }, headers));
      expect(res.status).toBe(403);
      expect(res.headers.get('set-cookie')).toBeNull();
    }
    const noOrigin = await mayfly.app!.request('/admin/login', { ...form({ token: TOKEN }), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(noOrigin.status).toBe(403);
    // Under Referrer-Policy: no-referrer a browser posts its own form with Origin: null and says where from in Sec-Fetch-Site.
    expect((await mayfly.app!.request('/admin/login', form({ token: TOKEN }, { origin: 'null', 'sec-fetch-site': 'same-origin' }))).status).toBe(303);
  });

  it('lets the page call the admin API with its session only; changes only from its own origin', async () => {
    const session = await signIn();
    const cookie = { cookie: `${SESSION_COOKIE}=${session}` };
    expect((await mayfly.app!.request('/api/v1/admin/streams')).status).toBe(401);
    expect((await mayfly.app!.request('/api/v1/admin/streams', { headers: { cookie: `${SESSION_COOKIE}=${session.slice(0, -2)}xx` } })).status).toBe(401);
    expect((await mayfly.app!.request('/api/v1/admin/streams', { headers: cookie })).status).toBe(200);
    expect((await mayfly.app!.request('/trpc/admin.streams', { headers: cookie })).status).toBe(200);
    // The session is an admin session, nothing else: an app's procedures still need their X-App-ID.
    expect((await mayfly.app!.request('/api/v1/drafts', { headers: cookie })).status).toBe(400);
    const create = (headers: Record<string, string>) => mayfly.app!.request('/api/v1/admin/tenants', jsonRequest('POST', { app_id: 'csrf.check' }, { ...cookie, ...headers }));
    expect((await create({})).status).toBe(403);
    expect((await create({ origin: 'https://evil.example' })).status).toBe(403);
    expect((await create({ origin: 'http://localhost', 'sec-fetch-site': 'same-site' })).status).toBe(403);
    const made = await create({ origin: 'http://localhost' });
    expect(made.status).toBe(201);
    const removed = await mayfly.app!.request('/api/v1/admin/tenants/csrf.check?purge=true', { method: 'DELETE', headers: { ...cookie, origin: 'http://localhost' } });
    expect(removed.status).toBe(200);
    // A session made with another ADMIN_TOKEN is no session.
    const rotated = variant({ ADMIN_TOKEN: `${TOKEN}-next` });
    expect((await rotated.request('/api/v1/admin/streams', { headers: cookie })).status).toBe(401);
    expect(await (await rotated.request('/admin', { headers: cookie })).text()).toContain('action="admin/login"');
  });

  it('counts sign-in attempts against the admin calls’ per-address limit', async () => {
    const limited = variant({ RATE_LIMITS: { ...mayfly.config.RATE_LIMITS, admin: '3/min' } });
    const env = { incoming: { socket: { remoteAddress: '192.0.2.77' } } };
    const attempt = () => limited.request('/admin/login', form({ token: 'not-the-token' }), env);
    for (let i = 0; i < 3; i++) expect((await attempt()).status).toBe(401);
    const refused = await attempt();
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    // The right token from that address waits too, and so do its admin calls.
    expect((await limited.request('/admin/login', form({ token: TOKEN }), env)).status).toBe(429);
    expect((await limited.request('/api/v1/admin/streams', { headers: { authorization: `Bearer ${TOKEN}` } }, env)).status).toBe(429);
  });

  it.skipIf(!browser)(
    'in Chromium: signs in, shows streams, projections and the expiry chart of a service that took writes, registers an app and shows its key once, asking no other origin',
    async () => {
      // Writes: three drafts, one of them with a 1-second time to live, and a reconciler run after it expired.
      for (const [content, ttl] of [['first draft', 3600], ['second draft', 3600], ['short-lived draft', 1]] as const) {
        const res = await mayfly.app!.request('/api/v1/drafts', jsonRequest('POST', { content, ttl_seconds: ttl }, { 'X-App-ID': 'dashboard.demo' }));
        expect(res.status).toBe(201);
      }
      await new Promise((r) => setTimeout(r, 1_200));
      await mayfly.reconciler!.runOnce();

      mkdirSync('test-results', { recursive: true });
      await using chromium = await launchBrowser();
      const tab = await chromium.context.newPage();
      const requests: string[] = [];
      const problems: string[] = [];
      tab.on('request', (r) => void requests.push(r.url()));
      tab.on('console', (m) => {
        if (m.type() === 'error') problems.push(m.text());
      });
      tab.on('pageerror', (e) => void problems.push(e.message));
      await tab.setViewportSize({ width: 1280, height: 860 });

      // Sign in: a wrong token first.
      await tab.goto(`${origin}/admin`);
      await tab.fill('#token', 'certainly-not-the-admin-token');
      await tab.click('button[type=submit]');
      await tab.getByText('That is not the admin token.').waitFor();
      await tab.fill('#token', TOKEN);
      await tab.click('button[type=submit]');
      await tab.waitForURL(`${origin}/admin`);
      // The refused attempt's 401 is the one error the console may show.
      expect(problems).toEqual(['Failed to load resource: the server responded with a status of 401 (Unauthorized)']);
      problems.length = 0;

      // Overview: dependencies, the broker's version, every stream against its max-age.
      await tab.locator('.status.ok', { hasText: 'ok' }).first().waitFor();
      await tab.locator('dd.version').waitFor();
      expect(await tab.locator('dd.version').textContent()).toMatch(/^\d+\.\d+\.\d+/);
      expect(await tab.locator('dd.cluster').textContent()).toBe('single server');
      await tab.locator('table.retention tr[data-stream="DRAFTS"]').waitFor();
      // Numbers refresh without a reload: writes made now show up as rates.
      const rateNow = () => tab.locator('[data-figure=events-rate]').textContent();
      expect(await rateNow()).toMatch(/^(–|0\.00\/s)$/); // nothing written since the page opened
      for (let i = 0; i < 5; i++) {
        const res = await mayfly.app!.request('/api/v1/drafts', jsonRequest('POST', { content: `draft written while watching ${i}`, ttl_seconds: 3600 }, { 'X-App-ID': 'dashboard.demo' }));
        expect(res.status).toBe(201);
        await mayfly.app!.request('/api/v1/drafts?limit=5', { headers: { 'X-App-ID': 'dashboard.demo' } });
        await tab.waitForTimeout(400);
      }
      await expect.poll(rateNow, { timeout: 10_000 }).not.toMatch(/^(–|0\.00\/s)$/);
      await tab.screenshot({ path: 'test-results/dashboard-overview.png', fullPage: true });

      // Streams: DRAFTS holds the writes.
      await tab.click('nav a[href="#streams"]');
      const drafts = tab.locator('table.streams tr[data-stream="DRAFTS"]');
      await drafts.waitFor();
      // Eight written, the short-lived one gone from the stream (on 2.11+ its subject's delete
      // marker, a message of no content, stands in its place until the marker's own TTL).
      const figure = async (cell: ReturnType<typeof tab.locator>) => Number((await cell.textContent())!.replace(/[,≈ ]/g, ''));
      const markers = versionHasMessageTtl(mayfly.broker.serverVersion) ? 1 : 0;
      await expect.poll(() => figure(drafts.locator('td[data-col=messages]')), { timeout: 10_000 }).toBe(7 + markers);
      await tab.screenshot({ path: 'test-results/dashboard-streams.png', fullPage: true });

      // Projections: the drafts projection has applied them.
      await tab.click('nav a[href="#projections"]');
      const projection = tab.locator('table.projections tr[data-projection="drafts"]');
      await projection.waitFor();
      await expect.poll(() => figure(projection.locator('td[data-col=checkpoint]')), { timeout: 10_000 }).toBeGreaterThanOrEqual(8);
      // ... and from the projection's rows.
      await expect.poll(() => figure(projection.locator('td[data-col=rows]')), { timeout: 10_000 }).toBe(7);
      await tab.screenshot({ path: 'test-results/dashboard-projections.png', fullPage: true });

      // Expiry: a chart of the reconciler's runs, at least the one above, which removed the short-lived draft.
      await tab.click('nav a[href="#expiry"]');
      await tab.locator('.chart canvas').waitFor();
      expect(Number(await tab.locator('.chart').getAttribute('data-runs'))).toBeGreaterThanOrEqual(1);
      await tab.locator('table.runs tbody tr').first().waitFor();
      await tab.screenshot({ path: 'test-results/dashboard-expiry.png', fullPage: true });

      // Apps: register one, read its key once.
      await tab.click('nav a[href="#apps"]');
      await tab.fill('#app-id', 'com.example.dashboard');
      await tab.click('form.register button[type=submit]');
      const keyField = tab.locator('.key-once input.key');
      await keyField.waitFor();
      const key = await keyField.inputValue();
      recordSent(undefined, { Authorization: `Bearer ${key}` });
      expect(key).toMatch(/^mfk_[\w-]{43}$/);
      await tab.locator('tr[data-app="com.example.dashboard"]').waitFor();
      await tab.click('.key-once button:has-text("Copy")');
      await tab.screenshot({ path: 'test-results/dashboard-apps.png', fullPage: true });
      // Rotating asks first, then shows the new key once in place of the old.
      tab.once('dialog', (d) => void d.accept());
      await tab.click('tr[data-app="com.example.dashboard"] button:has-text("Rotate key")');
      await expect.poll(() => keyField.inputValue()).not.toBe(key);
      const rotated = await keyField.inputValue();
      recordSent(undefined, { Authorization: `Bearer ${rotated}` });
      expect(rotated).toMatch(/^mfk_[\w-]{43}$/);
      expect(await tab.locator('.key-once').textContent()).toContain('The old key stopped working.');
      // The key is nowhere once the page is reloaded: not on the page, not in storage, not in a URL.
      await tab.reload();
      await tab.locator('tr[data-app="com.example.dashboard"]').waitFor();
      expect(await tab.content()).not.toContain(key);
      expect(await tab.content()).not.toContain(rotated);
      expect(await tab.evaluate(() => JSON.stringify({ ...sessionStorage }) + JSON.stringify({ ...localStorage }))).toBe('{}{}');
      // Removal names the app and waits for it to be typed.
      await tab.click('tr[data-app="com.example.dashboard"] button.danger');
      const confirm = tab.locator('form.confirm button[type=submit]');
      expect(await tab.locator('form.confirm').textContent()).toContain('Remove com.example.dashboard and erase all its data');
      expect(await confirm.isDisabled()).toBe(true);
      await tab.fill('form.confirm input', 'com.example.dashboard');
      await confirm.click();
      await tab.locator('tr[data-app="com.example.dashboard"]').waitFor({ state: 'detached' });

      // Replays: none has run.
      await tab.click('nav a[href="#replays"]');
      await tab.getByText('No replay has run yet.').waitFor();
      await tab.screenshot({ path: 'test-results/dashboard-replays.png', fullPage: true });

      // The session cookie as the browser keeps it.
      const [cookie] = (await chromium.context.cookies()).filter((c) => c.name === SESSION_COOKIE);
      expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', secure: false, expires: -1, path: '/' });
      expect(await tab.evaluate(() => document.cookie)).toBe('');

      expect(requests.length).toBeGreaterThan(10);
      expect(requests.filter((url) => new URL(url).origin !== origin && !url.startsWith('data:'))).toEqual([]);
      expect(requests.filter((url) => url.includes(TOKEN) || url.includes(key) || url.includes(rotated))).toEqual([]);
      expect(problems).toEqual([]);
    },
    120_000,
  );
});
