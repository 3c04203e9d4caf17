import { ConfigError, loadConfig } from '../platform/config.ts';
import { createLogger } from '../platform/logger.ts';
import { serve, type Listener } from '../http/serve.ts';
import { NatsServerMissing } from '../platform/nats/embedded-server.ts';
import { startMayfly } from './start.ts';

/**
 * Runs Mayfly as a process until SIGINT/SIGTERM: configuration read once (a bad value ends
 * start with one line), the parts its ROLE asks for, the HTTP server where it has one.
 * `role` overrides ROLE (the consumers entry point).
 */
export async function runMayfly(role?: 'consumers'): Promise<void> {
  let config;
  try {
    config = loadConfig(role ? { ...process.env, ROLE: role } : process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
  const log = createLogger(config.LOG_LEVEL);
  let mayfly;
  try {
    mayfly = await startMayfly(config, { log });
  } catch (err) {
    if (err instanceof NatsServerMissing || err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    log.fatal({ err }, 'start failed');
    process.exit(1);
  }
  let listener: Listener | undefined;
  if (mayfly.app) {
    listener = await serve(mayfly.app as never, config.PORT, config.HOST);
    log.info({ port: listener.port, role: config.ROLE, tenancy: config.TENANCY }, `mayfly listening on :${listener.port}`);
  } else {
    log.info({ role: config.ROLE }, 'mayfly consumers running');
  }
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      log.error('shutdown took too long; exiting');
      process.exit(1);
    }, 15_000);
    force.unref();
    await listener?.close();
    await mayfly.stop();
    log.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

