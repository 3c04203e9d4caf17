// One deployment serves many apps: here one app does everything it can to hurt the service
// (poison payloads, encoded batches, oversized and deep bodies, junk paths and app ids, floods
// of live subscriptions, bots that fail, stall and answer NUL) while another runs a steady
// create/read/list load. The neighbour must see no error and keep its latency, and the
// process its memory and its metrics. The service runs as a real process over real HTTP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { readFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { EmbeddedNats } from '../server/platform/nats/embedded-server.ts';
import { startTestNats } from './support/nats.ts';
import { killAllSpawned, ROOT, spawnMayfly, type MayflyProcess } from './support/process.ts';

/**
 * Alone and under attack in turns, six windows of each: 60 s of attack in all, twice the 30 s
 * asked for, so that each p99 is read from ~2,800 requests instead of ~1,400 (the 28th slowest
 * instead of the 14th: at 30 s the ratio of two runs of the same code spread 1.1-1.8x). Each
 * attack window begins with a burst (the attacker's refusal allowance has refilled while it
 * rested), which one long attack would meet once: 10 s windows meet it less often than 5 s ones.
 */
const WINDOW_MS = 10_000;
const WINDOWS = Number(process.env.HOSTILE_WINDOWS ?? 12);
/**
 * Windows before the measured ones: one of rest, then one of attack. A process meets the abuse
 * for the first time there, and the code it runs (refusals, live subscriptions, failing bots)
 * is compiled and its caches sized: 100-130 ms of stalls in that window's first half second,
 * once in the process's life, which decided the p99 of a whole run. The neighbour's own paths
 * are warmed the same way before it is measured; the neighbour must see no error there either.
 */
const WARM_UP_WINDOWS = 2;
/** Requests starting this soon after a switch are not counted for either side. */
const SETTLE_MS = 250;
const METRICS_TOKEN = 'metrics-token-hostile-neighbour';

/** CPU seconds a process has used so far (user + system), from /proc. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Resident set size of a process, in MB, from /proc. */
function rssMb(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return kb ? Number(kb[1]) / 1024 : Number.NaN;
}

const quantile = (xs: number[], q: number) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
};

/** A bot endpoint that misbehaves in every way an app's own server can. */
function startBadBotServer(): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const path = req.url ?? '/';
    if (path === '/fail') return void res.writeHead(500).end('no');
    if (path === '/nul') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"answer":"\\u0000"}');
    if (path === '/deep') return void res.writeHead(200, { 'content-type': 'application/json' }).end(`${'['.repeat(5_000)}${']'.repeat(5_000)}`);
    if (path === '/slow') return void setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'), 3_000);
    res.writeHead(404).end();
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, server })));
}

// What keeps the neighbour's p99 within 2x on a two-core machine: unread bodies are drained at
// a bounded rate (server/http/unread-body-drain.ts); an address that keeps being refused has its
// refusals held (server/http/middleware/refusal-pacing.ts), so the attacker, which waits for its
// answers, slows from ~850 to ~30 requests a second; a refusal captures no stack (tRPC read it,
// and with source maps the first one stalled the event loop ~100 ms); a body nested far too
// deep is refused from its text before JSON.parse spends 10-20 ms on it.
// HOSTILE_ONLY=body,junk,... limits the abuse to some kinds; HOSTILE_WINDOWS=2 shortens it (30: a
// five-minute soak);
// HOSTILE_NODE_FLAGS="--cpu-prof --cpu-prof-dir=/tmp/p" profiles the service and
// HOSTILE_SERVER_LOG=<file> keeps what it printed.
describe('a hostile app beside a steady neighbour', () => {
  let nats: EmbeddedNats;
  let mayfly: MayflyProcess;
  let bots: { url: string; server: Server };
  const dataDir = mkdtempSync(join(tmpdir(), 'mayfly-hostile-'));

  beforeAll(async () => {
    nats = await startTestNats();
    bots = await startBadBotServer();
    mayfly = await spawnMayfly({
      NATS_URL: nats.url,
      DATABASE_URL: 'memory://',
      DATA_DIR: dataDir,
      SECRET_KEY: 'test-secret-key-of-at-least-32-characters',
      METRICS_TOKEN,
      BOT_HTTP_ALLOWED_HOSTS: JSON.stringify({ '*': ['127.0.0.1'] }),
      BOT_HTTP_ALLOW_PRIVATE: 'true',
      BOT_HANDLER_TIMEOUT_MS: '1000',
      // The production default (test/support/process.ts turns it off for other suites).
      REFUSAL_DELAY_MS: '1000',
      // As operators run it (`npm start`): the bundle, not the TypeScript loader.
    }, ['node', ...(process.env.HOSTILE_NODE_FLAGS?.split(' ').filter(Boolean) ?? []), 'scripts/start.mjs', 'server/main.ts']);
  }, 60_000);
  afterAll(async () => {
    // HOSTILE_SERVER_LOG=<file> keeps what the service printed (e.g. with NODE_OPTIONS=--trace-gc).
    if (process.env.HOSTILE_SERVER_LOG && mayfly) writeFileSync(process.env.HOSTILE_SERVER_LOG, mayfly.output());
    await mayfly?.kill('SIGTERM');
    killAllSpawned();
    bots?.server.close();
    await nats?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const metricsLines = async () => (await (await fetch(`${mayfly.url}/metrics`, { headers: { Authorization: `Bearer ${METRICS_TOKEN}` } })).text()).split('\n');

  /** One request of the neighbour: when it started, how long it took, what it was. */
  interface Sample {
    at: number;
    ms: number;
    what: string;
  }

  /** The neighbour: create a draft, read it, list, at a steady pace (well inside its limits), until `until`. */
  async function neighbour(until: number): Promise<{ samples: Sample[]; errors: { at: number; error: string }[] }> {
    const samples: Sample[] = [];
    const errors: { at: number; error: string }[] = [];
    const headers = { 'X-App-ID': 'steady.app', 'content-type': 'application/json' };
    const timed = async (what: string, expected: number, url: string, init?: RequestInit) => {
      const at = Date.now();
      const started = performance.now();
      try {
        const res = await fetch(url, init);
        const body = await res.text();
        samples.push({ at, ms: performance.now() - started, what });
        if (res.status !== expected) errors.push({ at, error: `${what}: ${res.status} ${body.slice(0, 200)}` });
        return body;
      } catch (err) {
        errors.push({ at, error: `${what}: ${String(err)}` });
        return '{}';
      }
    };
    const loop = async () => {
      for (let i = 0; Date.now() < until; i++) {
        const next = Date.now() + 250; // four iterations a second per loop
        const created = JSON.parse(await timed('create', 201, `${mayfly.url}/api/v1/drafts`, { method: 'POST', headers, body: JSON.stringify({ content: `note ${i}` }) })) as { id?: string };
        if (created.id) await timed('read', 200, `${mayfly.url}/api/v1/drafts/${created.id}`, { headers });
        await timed('list', 200, `${mayfly.url}/api/v1/drafts?limit=20`, { headers });
        await sleep(Math.max(0, next - Date.now()));
      }
    };
    await Promise.all([loop(), loop(), loop(), loop()]);
    return { samples, errors };
  }

  /**
   * The hostile app (test/support/hostile-app.ts) as a process of its own, attacking in the odd
   * windows from `start`; the statuses it met. It runs niced: the attacker's own CPU is not the
   * service's, and on a small machine its sending would otherwise take the service's share.
   */
  function hostile(start: number): Promise<Record<string, Record<number, number>>> {
    return new Promise((resolve, reject) => {
      const script = ['node', '--import', 'tsx', 'test/support/hostile-app.ts', mayfly.url, bots.url, String(start), String(WINDOW_MS), String(WARM_UP_WINDOWS + WINDOWS)];
      const args = ['-n', '10', ...script, ...(process.env.HOSTILE_ONLY ? [process.env.HOSTILE_ONLY] : [])];
      execFile('nice', args, { cwd: ROOT, timeout: WINDOW_MS * (WARM_UP_WINDOWS + WINDOWS) + 60_000, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
        if (err) reject(new Error(`the hostile app failed: ${stderr}`));
        else resolve(JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, Record<number, number>>);
      });
    });
  }

  it('the neighbour sees no error and keeps its p99 within 2x; memory and /metrics stay bounded', { timeout: WINDOW_MS * (WARM_UP_WINDOWS + WINDOWS) + 120_000 }, async () => {
    const pid = mayfly.child.pid!;
    await neighbour(Date.now() + 3_000); // warm-up: JIT, pools, projections

    const metricsBefore = await metricsLines();
    const rssBefore = rssMb(pid);
    const cpuBefore = cpuSeconds(pid);
    const rss: { at: number; mb: number }[] = [];
    const sampler = setInterval(() => rss.push({ at: Date.now(), mb: rssMb(pid) }), 500);
    // The hostile process needs a moment to start: its first window begins after it, and the
    // measured windows after the warm-up ones.
    const start = Date.now() + 2_000 + WARM_UP_WINDOWS * WINDOW_MS;
    const [load, abuse] = await Promise.all([neighbour(start + WINDOW_MS * WINDOWS), hostile(start - WARM_UP_WINDOWS * WINDOW_MS)]);
    clearInterval(sampler);
    await sleep(1_000);
    const metricsAfter = await metricsLines();

    /** Whether a moment fell in an attacking window; undefined for the settling time after a switch, and before the start. */
    const attacked = (at: number) => {
      const into = at - start;
      if (into < 0 || into % WINDOW_MS < SETTLE_MS) return undefined;
      return Math.floor(into / WINDOW_MS) % 2 === 1;
    };
    const alone = load.samples.filter((x) => attacked(x.at) === false).map((x) => x.ms);
    const together = load.samples.filter((x) => attacked(x.at) === true).map((x) => x.ms);
    const p99Alone = quantile(alone, 0.99);
    const p99Together = quantile(together, 0.99);
    // Memory is bounded when it stops growing: the process grows to its working set early
    // (the JIT, heaps sized to the load, the database's pages) and must not keep growing after.
    const half = start + (WINDOW_MS * WINDOWS) / 2;
    const rssMax = Math.max(...rss.map((x) => x.mb));
    const rssFirstHalf = Math.max(...rss.filter((x) => x.at < half).map((x) => x.mb));
    const rssSecondHalf = Math.max(...rss.filter((x) => x.at >= half).map((x) => x.mb));
    const report = {
      alone: { requests: alone.length, p50: quantile(alone, 0.5), p99: p99Alone },
      together: { requests: together.length, p50: quantile(together, 0.5), p99: p99Together },
      cpu: { server: cpuSeconds(pid) - cpuBefore },
      rss: { before: rssBefore, max: rssMax, firstHalf: rssFirstHalf, secondHalf: rssSecondHalf, after: rssMb(pid), every2s: rss.filter((_, i) => i % 4 === 0).map((x) => Math.round(x.mb)) },
      metrics: { before: metricsBefore.length, after: metricsAfter.length },
      abuse,
      errors: load.errors.slice(0, 10),
      // The slowest requests of each side: which, in which window, how far into it.
      worst: Object.fromEntries(
        [true, false].map((side) => [
          side ? 'together' : 'alone',
          load.samples
            .filter((x) => attacked(x.at) === side)
            .sort((a, b) => b.ms - a.ms)
            .slice(0, 10)
            .map((x) => `${x.what} ${Math.round(x.ms)} ms, window ${Math.floor((x.at - start) / WINDOW_MS)} +${(x.at - start) % WINDOW_MS} ms`),
        ]),
      ),
    };
    console.log(JSON.stringify(report));

    // The abuse really happened, and met the refusals meant for it: never a 500, never a dropped connection.
    expect(abuse.poison?.[400]).toBeGreaterThan(10);
    expect(abuse.batch?.[429]).toBeGreaterThan(0);
    expect(abuse.body?.[413]).toBeGreaterThan(0);
    expect(abuse.sse?.[429]).toBeGreaterThan(0);
    expect(abuse.bots?.[200]).toBeGreaterThan(0);
    expect(Object.entries(abuse).filter(([, statuses]) => statuses[500] || statuses[0])).toEqual([]);

    expect(load.errors).toEqual([]);
    expect(together.length).toBeGreaterThan(0.8 * alone.length);
    expect(p99Together).toBeLessThanOrEqual(2 * p99Alone);
    // RSS moves in a sawtooth of its own, attack or not: a climb of 1-3 MB/s while V8 sizes its
    // heaps to the load, then drops of up to 300 MB when memory is given back; in 64 s a run may
    // see no drop at all (a CI run on Node 24: 513 MB to 691 MB in a straight line). So one
    // minute cannot tell growth from heap sizing; what is asserted is the bound: never more than
    // the sawtooth's amplitude above where the attack began (the halves are printed above). A
    // five-minute soak (sixty 5 s windows, Node 20) found no leak: 826 MB climbing to 888 MB in
    // the first 100 s, then 518 MB, and 550-557 MB for the three and a half minutes after.
    expect(rssMax - rssBefore).toBeLessThan(300);
    expect(metricsAfter.length - metricsBefore.length).toBeLessThan(50);
    expect(mayfly.output()).not.toMatch(/"level":(50|60)|uncaught|unhandled/i);
  });
});
