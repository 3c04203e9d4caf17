/**
 * `npm run cluster`: Mayfly's production shape on this machine. Three nats-server processes as
 * one JetStream cluster on loopback (stores under DATA_DIR/cluster, streams at R3), two
 * `ROLE=api` instances and two `ROLE=consumers` processes on the local PostgreSQL (database
 * `mayfly_cluster`, created if missing). Ctrl-C stops all of them, each by its own PID.
 *
 *   CLUSTER_DATABASE_URL   default postgres://postgres@127.0.0.1:5432/mayfly_cluster
 *   CLUSTER_API_PORTS      default 8001,8002
 *   NATS_SERVER_BIN        default nats-server (a current one: scripts/current-nats-server.sh)
 */
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { startNatsCluster } from '../test/support/nats-cluster.ts';
import { startMayflyShape } from '../test/support/cluster-shape.ts';

const dataDir = resolve(process.env.DATA_DIR ?? './.data', 'cluster');
const databaseUrl = process.env.CLUSTER_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/mayfly_cluster';
const apiPorts = (process.env.CLUSTER_API_PORTS ?? '8001,8002').split(',').map((p) => Number(p.trim()));

function fail(message: string): never {
  console.error(`npm run cluster: ${message}`);
  process.exit(1);
}

async function ensureDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) fail(`database name ${JSON.stringify(name)} must be lower-case letters, digits and _`);
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const c = new pg.Client({ connectionString: admin.toString() });
  await c.connect().catch((err: Error) => fail(`no PostgreSQL at ${admin.host} (${err.message})`));
  const { rowCount } = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
  if (!rowCount) await c.query(`CREATE DATABASE ${name}`);
  await c.end();
}

mkdirSync(dataDir, { recursive: true });
const secretFile = join(dataDir, 'secret-key');
if (!existsSync(secretFile)) writeFileSync(secretFile, randomBytes(32).toString('hex'), { mode: 0o600 });
const secret = readFileSync(secretFile, 'utf8').trim();

await ensureDatabase(databaseUrl);
console.log(`starting three nats-server nodes (stores in ${join(dataDir, 'nats')}) ...`);
const cluster = await startNatsCluster({ root: join(dataDir, 'nats'), name: 'mayfly-local' });
console.log(`NATS cluster: ${cluster.nodes.map((n) => `${n.name} ${n.url} (pid ${n.pid})`).join(', ')}`);

const env = {
  NATS_URL: cluster.url,
  NATS_STREAM_REPLICAS: '3',
  DATABASE_URL: databaseUrl,
  SECRET_KEY: secret,
  DATA_DIR: dataDir,
  ...(process.env.ADMIN_TOKEN ? { ADMIN_TOKEN: process.env.ADMIN_TOKEN } : {}),
};
let shape: Awaited<ReturnType<typeof startMayflyShape>> | undefined;
const stop = async () => {
  await shape?.stop().catch(() => undefined);
  await cluster.stop();
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());

try {
  shape = await startMayflyShape(env, { consumers: 2, apiPorts });
} catch (err) {
  console.error(`npm run cluster: ${(err as Error).message.split('\n')[0]}`);
  await shape?.stop().catch(() => undefined);
  await cluster.stop();
  process.exit(1);
}
// From here on each process's log lines go to this terminal instead of piling up in memory.
for (const child of [...shape.consumers.map((c) => c.child), ...shape.apis.map((a) => a.child)]) {
  for (const stream of [child.stdout, child.stderr]) {
    stream?.removeAllListeners('data');
    stream?.pipe(process.stdout);
  }
}
console.log(`consumers: pids ${shape.consumers.map((c) => c.pid).join(', ')}`);
console.log(`API: ${shape.apis.map((a) => `${a.url} (pid ${a.child.pid})`).join(', ')}`);
console.log('streams and the lease bucket at R3 on PostgreSQL ' + new URL(databaseUrl).pathname.slice(1) + '; Ctrl-C stops everything');
