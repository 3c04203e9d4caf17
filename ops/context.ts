import { join } from 'node:path';
import { access } from 'node:fs/promises';
import pino from 'pino';
import type { KV } from '@nats-io/kv';
import { holderId, openLeaseBucket } from '../consumers/jobs/lease.ts';
import { loadConfig, type Config } from '../server/platform/config.ts';
import type { Database } from '../server/platform/db/database.ts';
import { migrate } from '../server/platform/db/migrate.ts';
import { openDatabase } from '../server/platform/db/open.ts';
import { createLogger, type Logger } from '../server/platform/logger.ts';
import { catalog } from '../server/modules/index.ts';
import { connectBroker, type Broker } from '../server/platform/nats/connect.ts';
import { LEASE_TTL_MS } from '../server/runtime/start.ts';
import { loadSecretKey, SECRET_FILE } from '../server/platform/secret.ts';
import { findEmbeddedNats } from './embedded-nats.ts';
import { OpsError } from './errors.ts';

/** What an ops command works with: the service's configuration and connections to its broker and database. */
export interface Ops {
  config: Config;
  log: Logger;
  now: () => Date;
  holder: string;
  broker(): Promise<Broker>;
  /** The service's database, migrated; refused (one clear line) where ops can not share it. */
  db(command: string): Promise<Database>;
  /** The database when ops can reach it, else undefined (for commands that work without it). */
  dbIfShared(): Promise<Database | undefined>;
  leases(): Promise<{ kv: KV; ttlMs: number }>;
  secretKey(command: string): Promise<Uint8Array>;
  /** Runs `fn` on close, before the connections close (last registered, first run). */
  onClose(fn: () => Promise<void>): void;
  close(): Promise<void>;
}

/** Where the broker is: NATS_URL, else the nats-server of a running `npm start` in DATA_DIR. */
export function natsUrl(config: Config): string {
  if (config.NATS_URL) return config.NATS_URL;
  const found = findEmbeddedNats(config.DATA_DIR);
  if (found) return found;
  throw new OpsError(`ops needs NATS_URL of a running service (no nats-server of \`npm start\` runs for DATA_DIR=${config.DATA_DIR})`);
}

/** Why the database can not be opened from here, or undefined when it can. */
function unsharedDatabase(config: Config, command: string): string | undefined {
  if (config.DATABASE_URL === undefined) {
    return `${command} needs DATABASE_URL: the service's embedded PGlite (${join(config.DATA_DIR, 'pg')}) can be opened by one process only, the service; run the service on Postgres to use it`;
  }
  if (config.DATABASE_URL === 'memory://') return `${command} needs the service's Postgres in DATABASE_URL: memory:// is private to the process that opened it`;
  return undefined;
}

/** Reads the configuration as the service does and opens what a command asks for, lazily. */
export function openOps(env: Record<string, string | undefined> = process.env): Ops {
  const config = loadConfig(env);
  // Logs (JSON) go to stderr, quiet unless asked for: stdout is the command's output.
  const log = createLogger(env.LOG_LEVEL ? config.LOG_LEVEL : 'warn', pino.destination({ dest: 2, sync: true }));
  let broker: Promise<Broker> | undefined;
  let db: Promise<Database> | undefined;
  let leases: Promise<{ kv: KV; ttlMs: number }> | undefined;
  const closers: (() => Promise<void>)[] = [];
  const ops: Ops = {
    config,
    log,
    now: () => new Date(),
    // host:pid:random, as the service's holders: a lease left by a killed ops process on this host is taken over at once.
    holder: holderId(),
    broker() {
      broker ??= (async () => {
        const url = natsUrl(config);
        try {
          return await connectBroker(url, log, 'mayfly-ops');
        } catch (err) {
          throw new OpsError(`can not reach NATS at ${url}: ${err instanceof Error ? err.message : String(err)}`);
        }
      })();
      return broker;
    },
    async db(command) {
      const why = unsharedDatabase(config, command);
      if (why) throw new OpsError(why);
      db ??= (async () => {
        const opened = await openDatabase(config.DATABASE_URL, config.DATA_DIR);
        await migrate(opened, catalog.migrations);
        return opened;
      })();
      return db;
    },
    async dbIfShared() {
      return unsharedDatabase(config, '') ? undefined : ops.db('');
    },
    leases() {
      leases ??= (async () => {
        const b = await ops.broker();
        // The service's bucket as it is (its lease length included); created only if no consumer ever ran.
        const kv = await openLeaseBucket(b.nc, LEASE_TTL_MS, config.NATS_STREAM_REPLICAS);
        return { kv, ttlMs: (await kv.status()).ttl || LEASE_TTL_MS };
      })();
      return leases;
    },
    async secretKey(command) {
      if (!config.SECRET_KEY) {
        const file = join(config.DATA_DIR, SECRET_FILE);
        // Never generate one here: a new secret would not be the service's.
        await access(file).catch(() => {
          throw new OpsError(`${command} needs the service's SECRET_KEY (or its ${file})`);
        });
      }
      return loadSecretKey(config);
    },
    onClose(fn) {
      closers.push(fn);
    },
    async close() {
      for (const fn of closers.reverse()) await fn().catch(() => undefined);
      await (await broker?.catch(() => undefined))?.close();
      await (await db?.catch(() => undefined))?.close();
    },
  };
  return ops;
}
