// Bots benchmark: echo tasks end to end (execute -> completed, through tRPC) at 50 concurrent
// clients, against the write path (drafts.create over tRPC, same service) and the stock no-I/O
// tRPC mutation, both measured in the same run.
//
//   npm run bench -- bots [--seconds 10] [--rounds 3]
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CONNECTIONS, UNLIMITED, load, pinSelfToLoadCore, rounds, startServer } from './harness.ts';
import { fmt, table } from './lib.ts';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '10' }, rounds: { type: 'string', default: '3' } }, allowPositionals: true });
const SECONDS = Number(values.seconds);
const ROUNDS = Number(values.rounds);
// The load is far above the production default limits (bots.execute: 30/min per app).
pinSelfToLoadCore();

const baseline = await startServer(['node', '--import', 'tsx', 'bench/servers/baseline.ts']);
const baseRes = await rounds(ROUNDS, 3, (s) =>
  load({ url: `${baseline.url}/trpc/create`, body: JSON.stringify({ json: { content: 'hello' } }), connections: CONNECTIONS, seconds: s ?? SECONDS }),
);
await baseline.stop();

const dataDir = mkdtempSync(join(tmpdir(), 'mayfly-bench-'));
// Production settings, access log on (as users run it), embedded PGlite and nats-server.
const mayfly = await startServer(['node', '--import', 'tsx', 'server/main.ts'], { DATA_DIR: dataDir, NODE_ENV: 'production', SECRET_KEY: 'b'.repeat(32), TENANCY: 'open', RATE_LIMITS: UNLIMITED });
const writeRes = await rounds(ROUNDS, 3, (s) =>
  load({
    url: `${mayfly.url}/trpc/drafts.create`,
    body: JSON.stringify({ json: { content: 'Dear team, the quarterly numbers are in.', ttl_seconds: 3600 } }),
    headers: { 'X-App-ID': 'bench' },
    connections: CONNECTIONS,
    seconds: s ?? SECONDS,
  }),
);
const botsRes = await rounds(ROUNDS, 3, (s) =>
  load({
    url: `${mayfly.url}/trpc/bots.execute`,
    body: JSON.stringify({ json: { task_type: 'echo', context: { n: 1 } } }),
    headers: { 'X-App-ID': 'bench' },
    connections: CONNECTIONS,
    seconds: s ?? SECONDS,
  }),
);
const check = await fetch(`${mayfly.url}/trpc/bots.execute`, {
  method: 'POST',
  headers: { 'content-type': 'application/json', 'X-App-ID': 'bench' },
  body: JSON.stringify({ json: { task_type: 'echo', context: { n: 1 } } }),
});
const sample = (await check.json()) as { result?: { data?: { json?: { status?: string } } } };
await mayfly.stop();
rmSync(dataDir, { recursive: true, force: true });
if (sample.result?.data?.json?.status !== 'completed') throw new Error(`an execute did not complete: ${JSON.stringify(sample)}`);

const summary = {
  connections: CONNECTIONS,
  seconds: SECONDS,
  rounds: ROUNDS,
  baseline: baseRes,
  write_path: writeRes,
  bots_echo: botsRes,
  ratio: botsRes.rps / baseRes.rps,
  ratio_to_write_path: botsRes.rps / writeRes.rps,
};
const range = (r: { runs: { rps: number }[] }) => `${fmt(Math.min(...r.runs.map((x) => x.rps)), 0)}-${fmt(Math.max(...r.runs.map((x) => x.rps)), 0)}`;
console.log(
  table(
    ['', 'req/s median', 'min-max', 'p50 ms', 'p99 ms', 'ratio to stock', 'ratio to write path'],
    [
      ['stock tRPC no-I/O mutation', fmt(baseRes.rps, 0), range(baseRes), fmt(baseRes.p50), fmt(baseRes.p99), '1.00', ''],
      ['write path: drafts.create over tRPC', fmt(writeRes.rps, 0), range(writeRes), fmt(writeRes.p50), fmt(writeRes.p99), fmt(writeRes.rps / baseRes.rps, 2), '1.00'],
      ['bots.execute echo, end to end', fmt(botsRes.rps, 0), range(botsRes), fmt(botsRes.p50), fmt(botsRes.p99), fmt(summary.ratio, 2), fmt(summary.ratio_to_write_path, 2)],
    ],
  ),
);
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/bots.json', JSON.stringify(summary, null, 2));
