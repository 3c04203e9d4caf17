import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMayflyClient } from '@mayfly/contracts/client';
import { ROOT, killAllSpawned, runToExit, spawnMayfly } from './support/process.ts';

/** A deno binary: DENO_BIN (set by .ci/run), or `deno` on the PATH. */
function findDeno(): string | undefined {
  for (const candidate of [process.env.DENO_BIN, 'deno']) {
    if (candidate && spawnSync(candidate, ['--version']).status === 0) return candidate;
  }
  return undefined;
}

const deno = findDeno();
if (!deno) {
  if (process.env.CI === 'true') throw new Error('no deno binary: .ci/run installs one and sets DENO_BIN');
  console.warn('[mayfly tests] no deno binary (set DENO_BIN or put deno on the PATH): the Deno smoke test is skipped');
}

const dirs: string[] = [];
afterAll(() => {
  killAllSpawned();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('Deno', () => {
  it('deno.json maps every dependency to the version package.json has', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const denoJson = JSON.parse(readFileSync(join(ROOT, 'deno.json'), 'utf8')) as { imports: Record<string, string>; tasks: Record<string, string> };
    for (const [name, version] of Object.entries(pkg.dependencies)) {
      if (name === '@mayfly/contracts') continue;
      expect(denoJson.imports[name], name).toBe(`npm:${name}@${version}`);
    }
    expect(Object.keys(denoJson.tasks)).toEqual(expect.arrayContaining(['start', 'ops', 'test']));
  });

  it.skipIf(!deno)('runs the same source: starts, answers REST and tRPC, stops on SIGTERM', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'mayfly-deno-'));
    dirs.push(dataDir);
    const proc = await spawnMayfly({ DATA_DIR: dataDir }, [deno!, 'run', '-A', 'server/main.ts']);
    try {
      expect(await (await fetch(`${proc.url}/health`)).json()).toEqual({ status: 'ok' });
      expect((await fetch(`${proc.url}/docs/swagger-ui-bundle.js`)).status).toBe(200); // found in node_modules under Deno too
      const res = await fetch(`${proc.url}/api/v1/drafts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'X-App-ID': 'deno-app' },
        body: JSON.stringify({ content: 'from Deno' }),
      });
      expect(res.status).toBe(201);
      const draft = (await res.json()) as { id: string };
      const client = createMayflyClient({ url: proc.url, appId: 'deno-app' });
      expect(await client.drafts.get.query({ id: draft.id })).toMatchObject({ content: 'from Deno' });
      expect((await client.bots.execute.mutate({ task_type: 'echo', context: { runtime: 'deno' } })).output).toEqual({ runtime: 'deno' });
      // Deno.serve refuses a busy port as Node does, and the DATA_DIR lock holds under Deno too.
      const port = new URL(proc.url).port;
      const second = await runToExit([deno!, 'run', '-A', 'server/main.ts'], { DATA_DIR: dataDir, PORT: '0' });
      expect([second.code, second.stderr.trim()]).toEqual([1, expect.stringMatching(new RegExp(`^Mayfly is already running on DATA_DIR=.* \\(pid \\d+, port ${port}\\)`)) as unknown]);
      const otherDir = mkdtempSync(join(tmpdir(), 'mayfly-deno-'));
      dirs.push(otherDir);
      const busy = await runToExit([deno!, 'run', '-A', 'server/main.ts'], { DATA_DIR: otherDir, PORT: port });
      expect([busy.code, busy.stderr.trim()]).toEqual([1, `port ${port} is in use (PORT=${port}): another program listens on 127.0.0.1:${port}; stop it, or set PORT to a free port`]);
    } finally {
      await proc.kill('SIGTERM');
    }
    expect(proc.output()).toContain('"msg":"stopped"');
  }, 60_000);
});
