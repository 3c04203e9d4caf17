import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
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
  const port = opts.port ?? (await freePort());
  const child = spawn(opts.bin, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', opts.storeDir], {
    stdio: ['ignore', 'ignore', 'pipe'],
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
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
