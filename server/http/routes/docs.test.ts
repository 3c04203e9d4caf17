import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Listener } from '../serve.ts';
import { serve } from '../serve.ts';
import type { EmbeddedNats } from '../../platform/nats/embedded-server.ts';
import type { Mayfly } from '../../runtime/start.ts';
import { browserAvailable, launchBrowser } from '../../../test/support/browser.ts';
import { startTestMayfly } from '../../../test/support/mayfly.ts';
import { startTestNats } from '../../../test/support/nats.ts';
import { DOCS_CSP } from './docs.ts';

const browser = browserAvailable();

describe('the API reference at /docs', () => {
  let nats: EmbeddedNats;
  let mayfly: Mayfly;
  let listener: Listener;
  let origin: string;

  beforeAll(async () => {
    nats = await startTestNats();
    mayfly = await startTestMayfly({ NATS_URL: nats.url, DATABASE_URL: 'memory://' });
    listener = await serve(mayfly.app as never, 0, '127.0.0.1');
    origin = `http://127.0.0.1:${listener.port}`;
  });
  afterAll(async () => {
    await listener?.close();
    await mayfly?.stop();
    await nats?.stop();
  });

  it('is served whole by Mayfly under a policy that allows only its own origin', async () => {
    const page = await fetch(`${origin}/docs`);
    expect(page.headers.get('content-security-policy')).toBe(DOCS_CSP);
    const html = await page.text();
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).not.toMatch(/<script>|<style>|style=/); // nothing inline
    for (const asset of ['docs/swagger-ui.css', 'docs/swagger-ui-bundle.js', 'docs/init.js', 'docs/favicon-32x32.png']) {
      const res = await fetch(`${origin}/${asset}`);
      expect([asset, res.status]).toEqual([asset, 200]);
      expect(res.headers.get('content-security-policy')).toBe(DOCS_CSP);
    }
    expect((await fetch(`${origin}/docs/index.html`)).status).toBe(404); // only the files the page uses
  });

  it.skipIf(!browser)('renders every operation in headless Chromium, asking no other origin for anything', async () => {
    await using chromium = await launchBrowser();
    const tab = await chromium.context.newPage();
    const requests: string[] = [];
    const violations: string[] = [];
    tab.on('request', (r) => void requests.push(r.url()));
    tab.on('console', (m) => {
      if (m.type() === 'error') violations.push(m.text());
    });
    await tab.goto(`${origin}/docs`);
    const doc = (await (await fetch(`${origin}/openapi.json`)).json()) as { paths: Record<string, Record<string, { operationId: string }>> };
    const operations = Object.values(doc.paths).flatMap((item) => Object.values(item).map((op) => op.operationId));
    await tab.locator('.opblock').first().waitFor({ timeout: 20_000 });
    expect(await tab.locator('.opblock').count()).toBe(operations.length);
    for (const id of ['draftsCreate', 'botsExecute', 'emailSend']) await expect(tab.getByText(id, { exact: true }).count()).resolves.toBe(1);
    expect(await tab.title()).toBe('Mayfly API');
    expect(requests.length).toBeGreaterThan(3);
    expect(requests.filter((url) => new URL(url).origin !== origin && !url.startsWith('data:'))).toEqual([]);
    expect(violations).toEqual([]);
  }, 60_000);
});
