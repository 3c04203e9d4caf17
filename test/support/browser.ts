import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

/** Debian's Chromium (`apt-get install chromium`; `.ci/run` installs it), or CHROMIUM_BIN. */
export const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';

/**
 * Whether browser tests can run here. Without Chromium they are skipped with a notice, except
 * under CI=true, where a missing browser fails the run.
 */
export function browserAvailable(): boolean {
  if (existsSync(CHROMIUM)) return true;
  if (process.env.CI === 'true') throw new Error(`no Chromium at ${CHROMIUM}: .ci/run installs Debian's chromium`);
  console.warn(`[mayfly tests] no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_BIN): browser tests are skipped`);
  return false;
}

/** A headless Chromium with a profile of its own; close() removes the profile too. */
export interface TestBrowser extends AsyncDisposable {
  context: BrowserContext;
  close(): Promise<void>;
}

/**
 * Launches headless Chromium through Playwright (playwright-core: no browser download) with a
 * fresh, empty profile. The flags keep Chromium from calling home (background networking,
 * component updates, sync): on a closed network those connections fail, and a test that counts
 * a page's requests must see the page's alone.
 */
export async function launchBrowser(): Promise<TestBrowser> {
  const profile = mkdtempSync(join(tmpdir(), 'mayfly-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const close = async () => {
    await context.close().catch(() => undefined);
    rmSync(profile, { recursive: true, force: true });
  };
  return { context, close, [Symbol.asyncDispose]: close };
}
