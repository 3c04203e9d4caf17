import { join } from 'node:path';
import type { Config } from '../platform/config.ts';
import type { Database } from '../platform/db/database.ts';
import { openDatabase } from '../platform/db/open.ts';
import type { Logger } from '../platform/logger.ts';
import { startNatsServer, type EmbeddedNats } from '../platform/nats/embedded-server.ts';

/** The broker's address (and the nats-server spawned for it) and the database, both ready to use. */
export interface Stores {
  natsUrl: string;
  natsServer: EmbeddedNats | undefined;
  /** Open, not yet migrated (the migrations belong to the modules, loaded later). */
  db: Database;
}

/**
 * Starts the broker (a nats-server child when NATS_URL is unset) and opens the database side
 * by side: booting PGlite is the longest step of a start, and it runs while the nats-server
 * starts and the rest of the service loads. Whatever opened is closed again when the other
 * fails.
 */
export async function openStores(config: Config, log: Logger): Promise<Stores> {
  const nats = (async () => {
    if (config.NATS_URL !== undefined) return { url: config.NATS_URL, server: undefined };
    const server = await startNatsServer({
      bin: config.NATS_SERVER_BIN,
      storeDir: join(config.DATA_DIR, 'nats'),
      onLog: (line) => log.debug({ component: 'nats-server' }, line),
    });
    log.info({ url: server.url }, 'started embedded nats-server');
    return { url: server.url, server };
  })();
  const db = openDatabase(config.DATABASE_URL, config.DATA_DIR, config.PGLITE_THREAD);
  const [n, d] = await Promise.allSettled([nats, db]);
  if (n.status === 'fulfilled' && d.status === 'fulfilled') return { natsUrl: n.value.url, natsServer: n.value.server, db: d.value };
  if (n.status === 'fulfilled') await n.value.server?.stop();
  if (d.status === 'fulfilled') await d.value.close();
  throw n.status === 'rejected' ? n.reason : (d as PromiseRejectedResult).reason;
}
