// What the projection and replay benchmarks run against: a nats-server with Mayfly's streams,
// a fresh migrated PostgreSQL database, and the service's own event publisher.
import { randomUUID } from 'node:crypto';
import { draftSubject } from '@mayfly/contracts';
import { loadConfig } from '../server/platform/config.ts';
import { migrate } from '../server/platform/db/migrate.ts';
import { openDatabase } from '../server/platform/db/open.ts';
import { EventPublisher, newEvent } from '../server/platform/events/publisher.ts';
import { createLogger } from '../server/platform/logger.ts';
import { createMetrics } from '../server/platform/metrics.ts';
import { catalog } from '../server/modules/index.ts';
import { connectBroker } from '../server/platform/nats/connect.ts';
import { provisionStreams } from '../server/platform/nats/streams.ts';
import { createPostgresDatabase } from '../test/support/databases.ts';
import { startTestNats } from '../test/support/nats.ts';

/**
 * Publishes `count` `draft.saved` events as the API does (a 200-character draft each, 50 apps),
 * written over the last hour, one every few milliseconds, each kept for a week, as drafts are (a
 * million drafts saved in one millisecond would pile every index entry onto one key).
 */
export async function publishDraftBacklog(publisher: EventPublisher, count: number): Promise<void> {
  const start = Date.now() - 3_600_000;
  const content = 'x'.repeat(200);
  for (let sent = 0; sent < count; ) {
    const n = Math.min(5_000, count - sent);
    await Promise.all(
      Array.from({ length: n }, (_, i) => {
        const tenant = `bench-${(sent + i) % 50}`;
        const id = randomUUID();
        const at = new Date(start + Math.floor(((sent + i) * 3_600_000) / count));
        const expires = new Date(at.getTime() + 7 * 86_400_000).toISOString();
        const event = newEvent('draft.saved', tenant, { draft_id: id, content, created_at: at.toISOString(), expires_at: expires }, at);
        return publisher.publish(event, draftSubject(tenant, id));
      }),
    );
    sent += n;
  }
}

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
