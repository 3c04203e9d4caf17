import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../test/support/process.ts';

const build = () => execFileSync('node', ['scripts/start.mjs', '--build'], { cwd: ROOT, encoding: 'utf8' }).trim();
const current = () => JSON.parse(readFileSync(join(ROOT, 'build/run/current.json'), 'utf8')) as { id: string; inputs: Record<string, string> };

describe('the start script’s bundle', () => {
  it('is kept while its sources are unchanged and rebuilt when one changes', () => {
    const first = build();
    expect(build()).toBe(first);
    expect(Object.keys(current().inputs)).toEqual(expect.arrayContaining(['server/main.ts', 'consumers/main.ts', 'contracts/index.ts', 'package.json']));
    // The embedded database's thread is an entry of its own, beside the service's.
    expect(Object.keys(current().inputs)).toContain('server/platform/db/pglite-worker.ts');
    expect(statSync(join(ROOT, 'build/run', current().id, 'server/platform/db/pglite-worker.js')).isFile()).toBe(true);
    const source = join(ROOT, 'server/platform/config.ts');
    const { atime, mtime } = statSync(source);
    utimesSync(source, atime, new Date(mtime.getTime() + 1_000));
    try {
      expect(build()).not.toBe(first);
    } finally {
      utimesSync(source, atime, mtime);
    }
  }, 60_000);
});
