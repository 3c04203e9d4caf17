import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { Agent, request } from 'node:http';
import autocannon from 'autocannon';
import { median, percentile } from './lib.ts';

/** Pins this process (the load generator) to the last core, servers to the first. */
export function pinSelfToLoadCore(): void {
  spawnSync('taskset', ['-cp', '1', String(process.pid)], { stdio: 'ignore' });
}

/**
 * Runs `command` pinned to core 0 (or to `opts.cpus`, e.g. `0,1`: then it shares core 1 with
 * the load) and resolves with its port once it prints `listening on :PORT`.
 */
export async function startServer(
  command: string[],
  env: Record<string, string> = {},
  opts: { cpus?: string; cwd?: string } = {},
): Promise<{ url: string; child: ChildProcess; stop(): Promise<void> }> {
  const child = spawn('taskset', ['-c', opts.cpus ?? '0', ...command], {
    cwd: opts.cwd,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listening line:\n${out}`)), 30_000);
    const onData = (d: Buffer) => {
      out = (out + d.toString()).slice(-20_000);
      const m = /listening on :(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`exited ${code}:\n${out}`)));
  });
  // Keep draining output so the server never blocks on a full pipe.
  child.stdout.resume();
  child.stderr.resume();
  return {
    url: `http://127.0.0.1:${port}`,
    child,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      process.kill(-child.pid!, 'SIGTERM');
      await exited;
    },
  };
}

export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

/** One autocannon run. */
export async function load(opts: { url: string; method?: 'POST' | 'GET'; body?: string; headers?: Record<string, string>; connections: number; seconds: number; rate?: number }): Promise<LoadResult> {
  const r = await autocannon({
    url: opts.url,
    method: opts.method ?? 'POST',
    body: opts.body,
    headers: { 'content-type': 'application/json', ...opts.headers },
    connections: opts.connections,
    duration: opts.seconds,
    ...(opts.rate ? { overallRate: opts.rate } : {}),
  });
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.timeouts, non2xx: r.non2xx };
}

/** Warm-up, then `rounds` measured runs; medians and ranges. */
export async function rounds(n: number, warmupSeconds: number, run: (seconds?: number) => Promise<LoadResult>): Promise<{ runs: LoadResult[]; rps: number; p50: number; p99: number }> {
  await run(warmupSeconds);
  const runs: LoadResult[] = [];
  for (let i = 0; i < n; i++) runs.push(await run());
  return { runs, rps: median(runs.map((r) => r.rps)), p50: median(runs.map((r) => r.p50)), p99: median(runs.map((r) => r.p99)) };
}

/**
 * An open-loop load at a steady rate: one request every 1/rate seconds over at most
 * `connections` keep-alive connections, each timed from when it was due (so a stall counts
 * for every request it delays). autocannon's rate limit is not that: each connection sends its
 * whole per-second quota at the start of every second, so its latencies at a given rate
 * measure how long a one-second burst takes to drain.
 */
export async function paced(opts: { url: string; body?: string; headers?: Record<string, string>; rate: number; seconds: number; connections: number }): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: opts.connections });
  const url = new URL(opts.url);
  const headers = { 'content-type': 'application/json', ...opts.headers, ...(opts.body ? { 'content-length': String(Buffer.byteLength(opts.body)) } : {}) };
  const send = () =>
    new Promise<number>((resolve, reject) => {
      const req = request({ agent, method: opts.body ? 'POST' : 'GET', host: url.hostname, port: url.port, path: url.pathname + url.search, headers }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(opts.body);
    });
  const latencies: number[] = [];
  let errors = 0;
  let non2xx = 0;
  const total = Math.round(opts.rate * opts.seconds);
  const inFlight = new Set<Promise<void>>();
  const start = performance.now();
  for (let sent = 0; sent < total; ) {
    const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * opts.rate) + 1);
    for (; sent < due; sent++) {
      const dueAt = start + (sent * 1000) / opts.rate;
      const p = send().then(
        (status) => {
          latencies.push(performance.now() - dueAt);
          if (status < 200 || status >= 300) non2xx++;
        },
        () => void errors++,
      );
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  await Promise.all(inFlight);
  const rps = total / ((performance.now() - start) / 1000);
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return { rps, p50: percentile(latencies, 50), p99: percentile(latencies, 99), errors, non2xx };
}

/** Connections every load run uses. */
export const CONNECTIONS = 50;
/** `RATE_LIMITS` that never refuse a benchmark's load. */
export const UNLIMITED = JSON.stringify({ '*': '1000000/s', 'bots.execute': '1000000/s', health: '1000000/s' });
/** The draft every write-path benchmark creates. */
export const DRAFT = { content: 'Dear team, the quarterly numbers are in.', ttl_seconds: 3600 };

/**
 * Parses `--node BIN[,BIN]` and asks each binary its version; a binary that does not run ends
 * the benchmark with one line saying which.
 */
export function nodeBinaries(list: string): { bin: string; version: string }[] {
  return list
    .split(',')
    .filter(Boolean)
    .map((bin) => {
      const r = spawnSync(bin, ['--version'], { encoding: 'utf8' });
      if (r.status !== 0) {
        console.error(`--node ${bin}: not a Node binary that runs here (${r.error?.message ?? r.stderr.trim()})`);
        process.exit(2);
      }
      return { bin, version: r.stdout.trim() };
    });
}
