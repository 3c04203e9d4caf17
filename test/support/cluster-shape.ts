import { spawn, type ChildProcess } from 'node:child_process';
import { spawnMayfly, ROOT, type MayflyProcess } from './process.ts';

/** A `ROLE=consumers` process (projectors, workers, leader jobs), resolved once it runs. */
export interface ConsumersProcess {
  child: ChildProcess;
  pid: number;
  output: () => string;
  exited: Promise<number | null>;
  kill(signal: NodeJS.Signals): Promise<number | null>;
}

/** Spawns `consumers/main.ts` (`ROLE=consumers`) and resolves once it logs that it runs. */
export async function spawnConsumers(env: Record<string, string>, node = 'node'): Promise<ConsumersProcess> {
  const child = spawn(node, ['--import', 'tsx', 'consumers/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'info', ...env, ROLE: 'consumers' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d: string) => (out = (out + d).slice(-20_000)));
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`consumers not running within 60 s:\n${out}`)), 60_000);
    child.stdout.on('data', (d: string) => {
      out = (out + d).slice(-20_000);
      if (out.includes('consumers running')) {
        clearTimeout(timer);
        resolve();
      }
    });
    void exited.then((code) => reject(new Error(`consumers exited ${code}:\n${out}`)));
  });
  return {
    child,
    pid: child.pid!,
    output: () => out,
    exited,
    async kill(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Mayfly in its production shape: API instances and consumer processes on one broker and database. */
export interface MayflyShape {
  apis: MayflyProcess[];
  consumers: ConsumersProcess[];
  stop(): Promise<void>;
}

/**
 * Starts `apis` × `ROLE=api` (HTTP on free loopback ports) and `consumers` × `ROLE=consumers`
 * against `NATS_URL` and `DATABASE_URL` in `env`; consumers first, so the projections are
 * leased before the first write.
 */
export async function startMayflyShape(
  env: Record<string, string>,
  shape: { apis?: number; consumers?: number; apiPorts?: number[] } = {},
): Promise<MayflyShape> {
  const counts = { apis: shape.apiPorts?.length ?? shape.apis ?? 2, consumers: shape.consumers ?? 2 };
  const consumers: ConsumersProcess[] = [];
  const apis: MayflyProcess[] = [];
  const stop = async () => {
    await Promise.all(apis.map((a) => a.kill('SIGTERM')));
    await Promise.all(consumers.map((c) => c.kill('SIGTERM')));
  };
  try {
    for (let i = 0; i < counts.consumers; i++) consumers.push(await spawnConsumers(env));
    for (let i = 0; i < counts.apis; i++) {
      const port = shape.apiPorts?.[i];
      apis.push(await spawnMayfly({ ...env, ROLE: 'api', ...(port === undefined ? {} : { PORT: String(port) }) }));
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { apis, consumers, stop };
}
