import { ConfigError, loadConfig, type Config } from '../platform/config.ts';
import { DataDirBusy, lockDataDir, type DataDirLock } from '../platform/data-dir-lock.ts';
import { createLogger } from '../platform/logger.ts';
import { listen, PortUnavailable, type BoundPort } from '../http/serve.ts';
import { NatsServerMissing } from '../platform/nats/embedded-server.ts';
import { openStores } from './stores.ts';

/** True when this process keeps state in DATA_DIR: PGlite there, or the nats-server it spawns. */
export function usesDataDir(config: Pick<Config, 'DATABASE_URL' | 'NATS_URL'>): boolean {
  return config.DATABASE_URL === undefined || config.NATS_URL === undefined;
}

/** Ends start with one line: what is wrong and what to do (no stack trace). */
function refuse(message: string, lock?: DataDirLock): never {
  lock?.release();
  console.error(message);
  process.exit(1);
}

/**
 * Runs Mayfly as a process until SIGINT/SIGTERM: configuration read once (a bad value ends
 * start with one line), DATA_DIR taken for this process when it keeps state there (a second
 * start on it ends at once), the HTTP port bound (a busy port ends start at once), and only
 * then the broker, the database and the parts its ROLE asks for. `role` overrides ROLE (the
 * consumers entry point).
 */
export async function runMayfly(role?: 'consumers'): Promise<void> {
  let config: Config;
  try {
    config = loadConfig(role ? { ...process.env, ROLE: role } : process.env);
  } catch (err) {
    if (err instanceof ConfigError) refuse(err.message);
    throw err;
  }
  const log = createLogger(config.LOG_LEVEL);

  let lock: DataDirLock | undefined;
  if (usesDataDir(config)) {
    try {
      lock = lockDataDir(config.DATA_DIR);
    } catch (err) {
      if (err instanceof DataDirBusy) refuse(err.message);
      throw err;
    }
  }
  let bound: BoundPort | undefined;
  if (config.ROLE !== 'consumers') {
    try {
      bound = await listen(config.PORT, config.HOST);
    } catch (err) {
      if (err instanceof PortUnavailable) refuse(err.message, lock);
      throw err;
    }
    lock?.record({ port: bound.port });
  }

  // Once the port is ours: the broker and the database start while the rest of the service
  // loads (most of a start is booting PGlite and loading modules).
  const stores = openStores(config, log);
  stores.catch(() => undefined); // handled where it is awaited, in startMayfly
  const started = import('./start.ts').then(({ startMayfly }) => startMayfly(config, { log, stores }));
  // A signal during start stops what has started once it has, then exits.
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      log.error('shutdown took too long; exiting');
      lock?.release();
      process.exit(1);
    }, 15_000);
    force.unref();
    await bound?.close();
    await (await started.catch(() => undefined))?.stop();
    lock?.release();
    log.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  let mayfly;
  try {
    mayfly = await started;
  } catch (err) {
    if (stopping) return;
    if (err instanceof NatsServerMissing || err instanceof ConfigError) refuse(err.message, lock);
    log.fatal({ err }, 'start failed');
    lock?.release();
    process.exit(1);
  }
  if (stopping) return;
  if (bound && mayfly.app) {
    bound.attach(mayfly.app as never);
    log.info({ port: bound.port, role: config.ROLE, tenancy: config.TENANCY }, `mayfly listening on :${bound.port}`);
  } else {
    log.info({ role: config.ROLE }, 'mayfly consumers running');
  }
}
