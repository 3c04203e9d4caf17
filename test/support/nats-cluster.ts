import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tcpConnect } from 'node:net';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { freePort } from '../../server/platform/nats/embedded-server.ts';

/** One node of a loopback JetStream cluster: its ports, store and (while running) process. */
export interface ClusterNode {
  name: string;
  port: number;
  clusterPort: number;
  storeDir: string;
  url: string;
  child?: ChildProcess;
  pid?: number;
}

/** Three (or `size`) nats-servers forming one JetStream cluster on 127.0.0.1. */
export interface NatsCluster extends AsyncDisposable {
  nodes: ClusterNode[];
  /** Every node's client URL, comma-separated, as NATS_URL takes them. */
  url: string;
  /** kill -9 of one node, by its PID; resolves once the process is gone. */
  kill(name: string): Promise<void>;
  /** Starts a stopped node again on its ports and store. */
  restart(name: string): Promise<void>;
  /** SIGTERM to every running node (by PID), then removes the stores. */
  stop(): Promise<void>;
}

async function waitForPort(port: number, child: ChildProcess, timeoutMs: number, log: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`nats-server exited with ${child.exitCode}: ${log()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = tcpConnect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`nats-server did not listen on 127.0.0.1:${port} within ${timeoutMs} ms: ${log()}`);
}

/** Resolves once JetStream answers through `url` (the cluster has elected its meta leader). */
export async function waitForJetStream(url: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    const nc = await connect({ servers: url.split(','), timeout: 2_000 }).catch((err: unknown) => ((last = err), undefined));
    if (nc) {
      try {
        const jsm = await jetstreamManager(nc, { timeout: 2_000 });
        await jsm.getAccountInfo();
        return;
      } catch (err) {
        last = err;
      } finally {
        await nc.close();
      }
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`JetStream cluster not ready within ${timeoutMs} ms: ${String(last)}`);
}

/**
 * Starts `size` nats-server processes (NATS_SERVER_BIN, else `nats-server` on PATH) as one
 * JetStream cluster on loopback: free ports, each its own `-sd` store under a temp folder,
 * `--cluster_name`, `--cluster`, `--routes` to the others, `--server_name`. Processes are only
 * ever signalled by their own PID: the machine's own nats-server is never touched.
 */
export async function startNatsCluster(opts: { size?: number; bin?: string; name?: string; root?: string; ports?: number[] } = {}): Promise<NatsCluster> {
  const size = opts.size ?? 3;
  const bin = opts.bin ?? process.env.NATS_SERVER_BIN ?? 'nats-server';
  const clusterName = opts.name ?? `mayfly-${process.pid}`;
  // A given root keeps the stores (npm run cluster); a temp one is removed on stop.
  const root = opts.root ?? mkdtempSync(join(tmpdir(), 'mayfly-cluster-'));
  const nodes: ClusterNode[] = [];
  for (let i = 1; i <= size; i++) {
    const port = opts.ports?.[i - 1] ?? (await freePort());
    const clusterPort = await freePort();
    nodes.push({ name: `n${i}`, port, clusterPort, storeDir: join(root, `n${i}`), url: `nats://127.0.0.1:${port}` });
  }
  const logs = new Map<string, string>();

  const launch = async (node: ClusterNode) => {
    mkdirSync(node.storeDir, { recursive: true });
    const routes = nodes.filter((n) => n !== node).map((n) => `nats://127.0.0.1:${n.clusterPort}`).join(',');
    const args = [
      '-a', '127.0.0.1', '-p', String(node.port), '-js', '-sd', node.storeDir,
      '--server_name', node.name, '--cluster_name', clusterName,
      '--cluster', `nats://127.0.0.1:${node.clusterPort}`, '--routes', routes,
    ];
    const child = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (d: string) => {
      log = (log + d).slice(-8_000);
      logs.set(node.name, log);
    });
    node.child = child;
    node.pid = child.pid;
    await waitForPort(node.port, child, 15_000, () => log);
  };

  const exited = (child: ChildProcess) =>
    child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise<void>((r) => child.once('exit', () => r()));

  const byName = (name: string) => {
    const node = nodes.find((n) => n.name === name);
    if (!node) throw new Error(`no node ${name}`);
    return node;
  };

  const cluster: NatsCluster = {
    nodes,
    url: nodes.map((n) => n.url).join(','),
    async kill(name) {
      const node = byName(name);
      if (!node.child || node.pid === undefined) return;
      const gone = exited(node.child);
      process.kill(node.pid, 'SIGKILL');
      await gone;
      node.child = undefined;
      node.pid = undefined;
    },
    async restart(name) {
      const node = byName(name);
      if (node.child) return;
      await launch(node);
    },
    async stop() {
      await Promise.all(
        nodes.map(async (n) => {
          if (!n.child || n.pid === undefined) return;
          const gone = exited(n.child);
          try {
            process.kill(n.pid, 'SIGTERM');
          } catch {
            return;
          }
          const timer = setTimeout(() => n.pid !== undefined && process.kill(n.pid, 'SIGKILL'), 5_000);
          await gone;
          clearTimeout(timer);
          n.child = undefined;
          n.pid = undefined;
        }),
      );
      if (!opts.root) rmSync(root, { recursive: true, force: true });
    },
    [Symbol.asyncDispose]: () => cluster.stop(),
  };

  try {
    await Promise.all(nodes.map(launch));
    await waitForJetStream(cluster.url);
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  return cluster;
}

/** The name of the server that leads `stream` (its Raft group), as the stream info reports it. */
export async function streamLeader(url: string, stream: string): Promise<string | undefined> {
  const nc = await connect({ servers: url.split(','), timeout: 2_000 });
  try {
    const jsm = await jetstreamManager(nc, { timeout: 5_000 });
    return (await jsm.streams.info(stream)).cluster?.leader;
  } finally {
    await nc.close();
  }
}
