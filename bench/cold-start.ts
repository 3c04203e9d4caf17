// Cold start: `npm start` (embedded nats-server and PGlite) to a healthy /health, and to the
// first accepted write, on a fresh data directory and on a restart over existing data; against
// the start of the stock Hono + tRPC server (bench/servers/baseline.ts) in the same run.
//
//   npm run bench -- cold-start [--runs 5]
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pgliteTemplateDir } from '../server/platform/db/pglite.ts';
import { fmt, median, table } from './lib.ts';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' } }, allowPositionals: true });
const RUNS = Number(values.runs);
const PORT = 3917;
const url = `http://127.0.0.1:${PORT}`;

/** Polls `probe` every 10 ms until it succeeds; ms since `t0`. */
async function until(t0: number, probe: () => Promise<boolean>): Promise<number> {
  for (;;) {
    if (await probe().catch(() => false)) return performance.now() - t0;
    if (performance.now() - t0 > 60_000) throw new Error('not ready within 60 s');
    await new Promise((r) => setTimeout(r, 10));
  }
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Starts `command` in its own process group; ms to /health (or `/`) and to the first write. */
async function start(command: string[], env: Record<string, string>, write: boolean) {
  const t0 = performance.now();
  const child = spawn(command[0]!, command.slice(1), {
    env: { ...process.env, PORT: String(PORT), HOST: '127.0.0.1', ...env },
    stdio: 'ignore',
    detached: true,
  });
  const exited = new Promise((r) => child.once('exit', r));
  try {
    const health = await until(t0, async () => (await fetch(`${url}${write ? '/health' : '/trpc/create'}`, write ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"json":{"content":"x"}}' })).ok);
    const firstWrite = write
      ? await until(t0, async () => {
          const res = await fetch(`${url}/api/v1/drafts`, { method: 'POST', headers: { 'content-type': 'application/json', 'X-App-ID': 'cold' }, body: JSON.stringify({ content: 'hello' }) });
          return res.status === 201;
        })
      : health;
    return { health, firstWrite };
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      process.kill(-child.pid!, 'SIGTERM');
      await exited;
    }
    // npm exits before the service it started has finished shutting down: wait for the whole
    // process group, so the next start does not find the last one still answering.
    while (groupAlive(child.pid!)) await new Promise((r) => setTimeout(r, 20));
  }
}

// As after `npm ci`: the bundle built (else the first start would build it) and the PGlite
// template made (else a new data directory runs initdb).
execFileSync('node', ['scripts/start.mjs', '--build'], { stdio: 'ignore' });
const template = existsSync(join(pgliteTemplateDir(), 'PG_VERSION'));
if (!template) console.log(`no PGlite template at ${pgliteTemplateDir()} (npm run prepare makes it): fresh starts run initdb`);

const baseline: number[] = [];
const fresh: { health: number; firstWrite: number }[] = [];
const restart: { health: number; firstWrite: number }[] = [];
// The poll asks /health every 10 ms: more than its default limit of 10 a minute per client.
const env = { NODE_ENV: 'production', SECRET_KEY: 'c'.repeat(32), LOG_LEVEL: 'warn', TENANCY: 'open', RATE_LIMITS: JSON.stringify({ health: '1000000/s', '*': '1000000/s' }) };
for (let i = 0; i < RUNS; i++) {
  baseline.push((await start(['node', '--import', 'tsx', 'bench/servers/baseline.ts'], {}, false)).health);
  const dir = mkdtempSync(join(tmpdir(), 'mayfly-cold-'));
  fresh.push(await start(['npm', 'start', '--silent'], { ...env, DATA_DIR: dir }, true));
  restart.push(await start(['npm', 'start', '--silent'], { ...env, DATA_DIR: dir }, true));
  rmSync(dir, { recursive: true, force: true });
}

const m = (xs: number[]) => median(xs);
const range = (xs: number[]) => `${fmt(Math.min(...xs), 0)}-${fmt(Math.max(...xs), 0)}`;
const summary = {
  runs: RUNS,
  pglite_template: template,
  baseline_ms: { median: m(baseline), runs: baseline },
  fresh_health_ms: { median: m(fresh.map((r) => r.health)), runs: fresh.map((r) => r.health) },
  fresh_first_write_ms: { median: m(fresh.map((r) => r.firstWrite)), runs: fresh.map((r) => r.firstWrite) },
  restart_health_ms: { median: m(restart.map((r) => r.health)), runs: restart.map((r) => r.health) },
  restart_first_write_ms: { median: m(restart.map((r) => r.firstWrite)), runs: restart.map((r) => r.firstWrite) },
};
console.log(
  table(
    ['', 'median ms', 'min-max', 'ratio to baseline'],
    [
      ['stock Hono + tRPC server: start to first answer', fmt(m(baseline), 0), range(baseline), '1.00'],
      ['npm start, fresh data dir: /health', fmt(summary.fresh_health_ms.median, 0), range(fresh.map((r) => r.health)), fmt(summary.fresh_health_ms.median / m(baseline), 1)],
      ['npm start, fresh data dir: first write', fmt(summary.fresh_first_write_ms.median, 0), range(fresh.map((r) => r.firstWrite)), fmt(summary.fresh_first_write_ms.median / m(baseline), 1)],
      ['npm start, restart: /health', fmt(summary.restart_health_ms.median, 0), range(restart.map((r) => r.health)), fmt(summary.restart_health_ms.median / m(baseline), 1)],
      ['npm start, restart: first write', fmt(summary.restart_first_write_ms.median, 0), range(restart.map((r) => r.firstWrite)), fmt(summary.restart_first_write_ms.median / m(baseline), 1)],
    ],
  ),
);
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/cold-start.json', JSON.stringify(summary, null, 2));
