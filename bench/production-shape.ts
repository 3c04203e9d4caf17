// The production shape: API processes (ROLE=api) on PostgreSQL, consumers in their own
// processes (ROLE=consumers), on one nats-server (R1) and on a three-node JetStream cluster (R3,
// two API instances, two consumer processes, the load split across both APIs). Write path
// (drafts.create over tRPC) as a ratio to the stock no-I/O tRPC server of the same run, and the
// projection lag (a write's ack to its row in PostgreSQL, writes paced at 20/s).
//
//   npm run bench -- production-shape [--seconds 5] [--rounds 3] [--node BIN[,BIN]]
//
// --node: the Node binaries the stock server, the APIs and the consumers run on, one after the
// other, each against the stock server on the same Node (see write-path.ts); default `node`.
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { CONNECTIONS, UNLIMITED, DRAFT, load, nodeBinaries, pinSelfToLoadCore, rounds, startServer, type LoadResult } from './harness.ts';
import { fmt, median, percentile, table } from './lib.ts';
import { createPostgresDatabase } from '../test/support/databases.ts';
import { startTestNats } from '../test/support/nats.ts';
import { startNatsCluster } from '../test/support/nats-cluster.ts';
import { spawnConsumers } from '../test/support/cluster-shape.ts';

const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '5' }, rounds: { type: 'string', default: '3' }, node: { type: 'string', default: 'node' } },
  allowPositionals: true,
});
const SECONDS = Number(values.seconds);
const ROUNDS = Number(values.rounds);
pinSelfToLoadCore();

const body = DRAFT;
const headers = { 'X-App-ID': 'bench' };


/** Load split over every API URL at once (connections shared out); requests/s summed. */
async function splitLoad(urls: string[], seconds: number): Promise<LoadResult> {
  const parts = await Promise.all(
    urls.map((u) => load({ url: `${u}/trpc/drafts.create`, body: JSON.stringify({ json: body }), headers, connections: Math.round(CONNECTIONS / urls.length), seconds })),
  );
  return {
    rps: parts.reduce((a, p) => a + p.rps, 0),
    p50: Math.max(...parts.map((p) => p.p50)),
    p99: Math.max(...parts.map((p) => p.p99)),
    errors: parts.reduce((a, p) => a + p.errors, 0),
    non2xx: parts.reduce((a, p) => a + p.non2xx, 0),
  };
}

/** Ack-to-row lag of `n` writes paced at 20/s: each row looked for every 5 ms. */
async function projectionLag(url: string, dbUrl: string, n = 60): Promise<{ p50: number; p99: number }> {
  const db = new pg.Client({ connectionString: dbUrl });
  await db.connect();
  const lags: number[] = [];
  for (let i = 0; i < n; i++) {
    const started = Date.now();
    const res = await fetch(`${url}/api/v1/drafts`, { method: 'POST', headers: { 'content-type': 'application/json', 'X-App-ID': 'lag' }, body: JSON.stringify(body) });
    const acked = performance.now();
    const { id } = (await res.json()) as { id: string };
    for (;;) {
      if ((await db.query('SELECT 1 FROM drafts WHERE id = $1', [id])).rowCount) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    lags.push(performance.now() - acked);
    await new Promise((r) => setTimeout(r, Math.max(0, 50 - (Date.now() - started))));
  }
  await db.end();
  const sorted = lags.sort((a, b) => a - b);
  return { p50: median(sorted), p99: percentile(sorted, 99) };
}

async function shape(node: string, natsUrl: string, replicas: number, apiCount: number, consumerCount: number) {
  const database = await createPostgresDatabase();
  const env = { NATS_URL: natsUrl, NATS_STREAM_REPLICAS: String(replicas), DATABASE_URL: database.url, NODE_ENV: 'production', SECRET_KEY: 'b'.repeat(32), TENANCY: 'open', RATE_LIMITS: UNLIMITED, LOG_LEVEL: 'info' };
  const consumers = [];
  for (let i = 0; i < consumerCount; i++) consumers.push(await spawnConsumers(env, node));
  const apis: Awaited<ReturnType<typeof startServer>>[] = [];
  for (let i = 0; i < apiCount; i++) apis.push(await startServer([node, '--import', 'tsx', 'server/main.ts'], { ...env, ROLE: 'api' }));
  for (const c of consumers) {
    c.child.stdout?.removeAllListeners('data');
    c.child.stdout?.resume();
    c.child.stderr?.removeAllListeners('data');
    c.child.stderr?.resume();
  }
  try {
    const write = await rounds(ROUNDS, 2, (s) => splitLoad(apis.map((a) => a.url), s ?? SECONDS));
    const lag = await projectionLag(apis[0]!.url, database.url);
    return { write, lag };
  } finally {
    for (const a of apis) await a.stop();
    for (const c of consumers) await c.kill('SIGTERM');
    await database.drop();
  }
}

/** Runs `fn` against a broker started for it, and stops the broker after. */
async function onBroker<T>(broker: { url: string; stop(): Promise<void> }, fn: (url: string) => Promise<T>): Promise<T> {
  try {
    return await fn(broker.url);
  } finally {
    await broker.stop();
  }
}

/** The stock server, then both shapes, every process on the Node binary `node`. */
async function measure({ bin: node, version }: { bin: string; version: string }) {
  const baseline = await startServer([node, '--import', 'tsx', 'bench/servers/baseline.ts']);
  const base = await rounds(ROUNDS, 2, (s) => load({ url: `${baseline.url}/trpc/create`, body: JSON.stringify({ json: body }), connections: CONNECTIONS, seconds: s ?? SECONDS }));
  await baseline.stop();
  const single = await onBroker(await startTestNats(), (url) => shape(node, url, 1, 1, 1));
  const clustered = await onBroker(await startNatsCluster(), (url) => shape(node, url, 3, 2, 2));

  const summary = {
    node: version,
    connections: CONNECTIONS,
    seconds: SECONDS,
    rounds: ROUNDS,
    baseline: base,
    single_node: single,
    cluster_r3: clustered,
    ratio_write_single: single.write.rps / base.rps,
    ratio_write_r3: clustered.write.rps / base.rps,
    ratio_lag_r3_to_single: clustered.lag.p50 / single.lag.p50,
  };
  console.log(`\nNode ${version}`);
  console.log(
    table(
      ['', 'req/s median', 'p50 ms', 'p99 ms', 'ratio to stock', 'lag p50 ms', 'lag p99 ms'],
      [
        ['stock tRPC no-I/O mutation', fmt(base.rps, 0), fmt(base.p50), fmt(base.p99), '1.00', '', ''],
        ['1 node R1: 1 API + 1 consumers on PostgreSQL', fmt(single.write.rps, 0), fmt(single.write.p50), fmt(single.write.p99), fmt(summary.ratio_write_single, 2), fmt(single.lag.p50), fmt(single.lag.p99)],
        ['3 nodes R3: 2 API + 2 consumers on PostgreSQL', fmt(clustered.write.rps, 0), fmt(clustered.write.p50), fmt(clustered.write.p99), fmt(summary.ratio_write_r3, 2), fmt(clustered.lag.p50), fmt(clustered.lag.p99)],
      ],
    ),
  );
  return summary;
}

const runtimes = [];
for (const node of nodeBinaries(values.node)) runtimes.push(await measure(node));
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/production-shape.json', JSON.stringify({ runtimes }, null, 2));
process.exit(0);
