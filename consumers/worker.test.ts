import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { randomUUID } from 'node:crypto';
import { botSubject, BOT_REQUESTS_FILTER } from '@mayfly/contracts';
import { loadConfig } from '../server/platform/config.ts';
import { EventPublisher, newEvent } from '../server/platform/events/publisher.ts';
import { createLogger } from '../server/platform/logger.ts';
import { createMetrics } from '../server/platform/metrics.ts';
import { connectBroker, type Broker } from '../server/platform/nats/connect.ts';
import type { EmbeddedNats } from '../server/platform/nats/embedded-server.ts';
import { provisionStreams } from '../server/platform/nats/streams.ts';
import { startTestNats } from '../test/support/nats.ts';
import { WorkerRunner, type WorkItem } from './worker.ts';

describe('a worker', () => {
  let nats: EmbeddedNats;
  let broker: Broker;
  let events: EventPublisher;
  const log = createLogger('silent');

  beforeAll(async () => {
    nats = await startTestNats();
    broker = await connectBroker(nats.url, log);
    events = new EventPublisher(broker, createMetrics(), await provisionStreams(broker.jsm, loadConfig({}), broker.serverVersion));
  });
  afterAll(async () => {
    await broker?.close();
    await nats?.stop();
  });

  it('records an item that failed on its last delivery through giveUp, once, and takes it off the queue', async () => {
    const taskId = randomUUID();
    const handled: number[] = [];
    const gaveUp: WorkItem[] = [];
    const runner = new WorkerRunner(
      {
        name: `failing_${taskId.slice(0, 8)}`,
        stream: 'BOTS',
        filterSubject: BOT_REQUESTS_FILTER,
        concurrency: 1,
        maxDeliver: 3,
        maxHandleMs: 1_000,
        ackWaitMs: 1_000,
        async handle(item) {
          handled.push(item.deliveryCount);
          throw new Error('the outcome could not be stored');
        },
        async giveUp(item) {
          gaveUp.push(item);
        },
      },
      { broker, log },
    );
    runner.start();
    try {
      const expires_at = new Date(Date.now() + 60_000).toISOString();
      await events.publish(newEvent('bot.task.requested', 'app', { task_id: taskId, task_type: 'echo', context: {}, expires_at }, new Date(), taskId), botSubject('app', taskId, 'requested'));
      await vi.waitFor(() => expect(gaveUp).toHaveLength(1), { timeout: 10_000, interval: 50 });
      expect(handled).toEqual([1, 2, 3]);
      expect(gaveUp[0]!.event).toMatchObject({ type: 'bot.task.requested', data: { task_id: taskId } });
      await new Promise((r) => setTimeout(r, 1_500)); // past the ack wait: nothing comes back
      expect(handled).toEqual([1, 2, 3]);
    } finally {
      await runner.stop();
    }
  });
});
