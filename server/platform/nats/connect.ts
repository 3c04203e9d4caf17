import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import type { Logger } from '../logger.ts';

/** One NATS connection with its JetStream client and manager. */
export interface Broker {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  /** The server's version as it announced itself, e.g. `2.9.10`. */
  serverVersion: string;
  /** Drains subscriptions and in-flight publishes, then closes. */
  close(): Promise<void>;
}

/** Connects (retrying for ever once connected), logs status changes, and checks JetStream. */
export async function connectBroker(url: string, log: Logger, name = 'mayfly'): Promise<Broker> {
  const nc = await connect({
    servers: url.split(','),
    name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
    pingInterval: 10_000,
    // Every JetStream publish is a request; with async traces each one builds two Error
    // objects (stack captured) up front, ~6% of a write's CPU. Errors still name the subject.
    noAsyncTraces: true,
  });
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect' || s.type === 'reconnect' || s.type === 'error') {
        log.warn({ nats: s.type, server: 'server' in s ? s.server : undefined }, `nats ${s.type}`);
      }
    }
  })();
  const jsm = await jetstreamManager(nc, { timeout: 10_000 });
  const js = jetstream(nc, { timeout: 10_000 });
  return {
    nc,
    js,
    jsm,
    serverVersion: nc.info?.version ?? 'unknown',
    async close() {
      if (!nc.isClosed()) await nc.drain().catch(() => nc.close());
    },
  };
}
