import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createServer, connect as tcpConnect } from 'node:net';

/** A `nats-server -js` child process on a free loopback port. */
export interface EmbeddedNats {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** Thrown when no nats-server binary can be run; the message says how to get one. */
export class NatsServerMissing extends Error {
  override name = 'NatsServerMissing';
}

/** Asks the kernel for a free loopback port. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`nats-server exited with code ${child.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = tcpConnect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`nats-server did not listen on 127.0.0.1:${port} within ${timeoutMs} ms`);
}

/**
 * Starts `nats-server` with JetStream, storing in `storeDir`, and resolves once it accepts
 * connections. `stop()` sends SIGTERM (the server flushes its store) and waits for exit.
 */
export async function startNatsServer(opts: {
  bin: string;
  storeDir: string;
  port?: number;
  onLog?: (line: string) => void;
}): Promise<EmbeddedNats> {
  mkdirSync(opts.storeDir, { recursive: true });
  const pidFile = join(opts.storeDir, 'nats-server.pid');
  await stopOrphan(pidFile);
  const port = opts.port ?? (await freePort());
  const args = ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', opts.storeDir, '-P', pidFile];
  const child = spawn(opts.bin, args, {
    stdio: ['ignore', 'ignore', 'pipe'],
    // Its own process group: a Ctrl-C in the terminal (or a signal to Mayfly's group) reaches
    // Mayfly, which stops its consumers first and the broker last, not both at once.
    detached: true,
  });
  const spawned = new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'ENOENT'
          ? new NatsServerMissing(
              `nats-server not found (${opts.bin}): install it (Debian/Ubuntu: apt-get install nats-server; macOS: brew install nats-server) or set NATS_URL`,
            )
          : err,
      ),
    );
  });
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    for (const line of chunk.split('\n')) if (line.trim()) opts.onLog?.(line.trim());
  });
  await spawned;
  try {
    await waitForPort(port, child, 10_000);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // In its own process group, the server would outlive a Mayfly that exits without stopping it
  // (a fatal error, the shutdown deadline): it is told to stop as the process exits. After a
  // SIGKILL, the next start stops it through the pid file.
  const onExit = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  };
  process.once('exit', onExit);
  void exited.then(() => process.off('exit', onExit));
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
      rmSync(pidFile, { force: true });
    },
  };
}

/**
 * A server left running by a process that was killed (SIGKILL leaves no chance to stop the
 * child) still holds the store: stop it before starting a new one on the same store.
 */
async function stopOrphan(pidFile: string): Promise<void> {
  let pid: number;
  try {
    pid = Number(readFileSync(pidFile, 'utf8').trim());
  } catch {
    return;
  }
  if (!Number.isInteger(pid) || pid <= 1 || !isNatsServer(pid)) return;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + 5_000;
  while (Date.now() < deadline && alive(pid)) await new Promise((r) => setTimeout(r, 25));
  if (alive(pid)) process.kill(pid, 'SIGKILL');
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function isNatsServer(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('nats-server');
  } catch {
    // No /proc (macOS): trust a live pid from our own pid file.
    return alive(pid);
  }
}
