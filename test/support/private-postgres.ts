import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../server/platform/nats/embedded-server.ts';

const BIN = '/usr/lib/postgresql/15/bin';

/** True when this machine can run a private PostgreSQL cluster (Debian's 15 binaries). */
export const canRunPrivatePostgres = existsSync(join(BIN, 'pg_ctl'));

/**
 * A PostgreSQL cluster of the test's own on a free port, which the test may stop and start
 * (the machine's shared server is never stopped: other test files use it at the same time).
 * Run as the `postgres` user when the test runs as root (initdb refuses root).
 */
export async function startPrivatePostgres() {
  const dir = mkdtempSync(join(tmpdir(), 'mayfly-pg-'));
  const asRoot = userInfo().uid === 0;
  if (asRoot) chownSync(dir, Number(spawnSync('id', ['-u', 'postgres']).stdout.toString().trim()), Number(spawnSync('id', ['-g', 'postgres']).stdout.toString().trim()));
  const run = (cmd: string, args: string[]) => {
    const r = asRoot ? spawnSync('runuser', ['-u', 'postgres', '--', join(BIN, cmd), ...args]) : spawnSync(join(BIN, cmd), args);
    if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr.toString()}`);
  };
  const data = join(dir, 'data');
  run('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres']);
  const port = await freePort();
  const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
  const start = () => run('pg_ctl', ['-D', data, '-o', opts, '-w', '-l', join(dir, 'log'), 'start']);
  const stop = () => run('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
  start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    start,
    stop,
    async [Symbol.asyncDispose]() {
      try {
        stop();
      } catch {
        // already stopped
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
