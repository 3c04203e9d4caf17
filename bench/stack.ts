// What the projection and replay benchmarks run against: a nats-server with Mayfly's streams,
// a fresh migrated PostgreSQL database, and the service's own event publisher.
import { loadConfig } from '../server/platform/config.ts';
import { migrate } from '../server/platform/db/migrate.ts';
import { openDatabase } from '../server/platform/db/open.ts';
import { EventPublisher } from '../server/platform/events/publisher.ts';
import { createLogger } from '../server/platform/logger.ts';
import { createMetrics } from '../server/platform/metrics.ts';
import { catalog } from '../server/modules/index.ts';
import { connectBroker } from '../server/platform/nats/connect.ts';
import { provisionStreams } from '../server/platform/nats/streams.ts';
import { createPostgresDatabase } from '../test/support/databases.ts';
import { startTestNats } from '../test/support/nats.ts';

export async function openBenchStack() {
  const nats = await startTestNats();
  const database = await createPostgresDatabase();
  const log = createLogger('warn');
  const db = await openDatabase(database.url, '.');
  await migrate(db, catalog.migrations);
  const broker = await connectBroker(nats.url, log);
  const streams = await provisionStreams(broker.jsm, loadConfig({}), broker.serverVersion);
  const metrics = createMetrics();
  const events = new EventPublisher(broker, metrics, streams);
  return {
    log,
    db,
    broker,
    metrics,
    events,
    async close() {
      events.close();
      await broker.close();
      await db.close();
      await database.drop();
      await nats.stop();
    },
  };
}
