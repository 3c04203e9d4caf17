import { AckPolicy, DeliverPolicy, type JsMsg } from '@nats-io/jetstream';
import { nanos } from '@nats-io/nats-core';
import { STREAMS, type AnyEvent, type StreamName } from '@mayfly/contracts';
import { decodeEvent } from '../server/platform/events/decode.ts';
import type { Logger } from '../server/platform/logger.ts';
import type { Broker } from '../server/platform/nats/connect.ts';
import { sleep } from '../server/platform/sleep.ts';

/** One message of work, decoded and validated. */
export interface WorkItem {
  seq: number;
  subject: string;
  event: AnyEvent;
  /** 1 on first delivery, more after a crash or a nak. */
  deliveryCount: number;
}

/**
 * Side-effecting work on a stream (bot tasks, mail): one durable consumer shared by every
 * process that runs it, each message handled by one of them, acked when `handle` resolves,
 * redelivered (with backoff) when it throws or its process dies. `handle` must tolerate a
 * redelivery of work it already finished (check for the outcome first).
 */
export interface Worker {
  name: string;
  stream: StreamName;
  filterSubject: string;
  /** Messages handled at once by one process. */
  concurrency: number;
  /** Deliveries before a message is given up (its last failure should be recorded by `handle`). */
  maxDeliver: number;
  /** Longest `handle` may take; the ack deadline is kept beyond it while it runs. */
  maxHandleMs: number;
  /** How long a delivered message may go without an ack or a progress signal (a dead process's work is redelivered after it). */
  ackWaitMs: number;
  handle(item: WorkItem, signal: AbortSignal): Promise<void>;
  /**
   * The last delivery failed too: record the failure where its requester will see it (a
   * `failed` outcome), instead of the message silently running out of deliveries.
   */
  giveUp?(item: WorkItem, error: unknown): Promise<void>;
}

/**
 * Thrown by a handler to have its item redelivered after the backoff (0.25 s doubling, at most
 * 30 s) when that is expected (a provider's 429): the handler logs why, the runner only retries.
 */
export class RetryLater extends Error {
  override name = 'RetryLater';
}

/** The durable consumer behind a worker. */
export const workerDurable = (name: string) => `worker_${name}`;

/** Runs a {@link Worker} until stopped; in-flight items finish before `stop()` resolves. */
export class WorkerRunner {
  readonly #stop = new AbortController();
  readonly #inFlight = new Set<Promise<void>>();
  #running: Promise<void> | undefined;

  constructor(
    readonly worker: Worker,
    private readonly deps: { broker: Broker; log: Logger },
  ) {}

  start(): void {
    this.#running = this.#loop();
  }

  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#running;
    await Promise.allSettled([...this.#inFlight]);
  }

  async #loop(): Promise<void> {
    const log = this.deps.log.child({ worker: this.worker.name });
    while (!this.#stop.signal.aborted) {
      try {
        await this.#consume(log);
      } catch (err) {
        log.error({ err }, 'worker consumer failed; retrying');
      }
      await sleep(500, this.#stop.signal);
    }
  }

  async #consume(log: Logger): Promise<void> {
    const { broker } = this.deps;
    const w = this.worker;
    const stream = STREAMS[w.stream].name;
    // Idempotent: an existing durable with this config is left as it is.
    await broker.jsm.consumers.add(stream, {
      durable_name: workerDurable(w.name),
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      filter_subject: w.filterSubject,
      ack_wait: nanos(w.ackWaitMs),
      max_deliver: w.maxDeliver,
      max_ack_pending: Math.max(1_000, w.concurrency * 10),
    });
    const consumer = await broker.js.consumers.get(stream, workerDurable(w.name));
    const messages = await consumer.consume({ max_messages: w.concurrency });
    const onStop = () => void messages.stop();
    this.#stop.signal.addEventListener('abort', onStop, { once: true });
    if (this.#stop.signal.aborted) onStop();
    try {
      for await (const m of messages) {
        while (this.#inFlight.size >= w.concurrency) await Promise.race(this.#inFlight);
        const p = this.#handle(m, log).finally(() => this.#inFlight.delete(p));
        this.#inFlight.add(p);
      }
    } finally {
      this.#stop.signal.removeEventListener('abort', onStop);
    }
  }

  async #handle(m: JsMsg, log: Logger): Promise<void> {
    const event = decodeEvent(m.data);
    if (!event) {
      log.warn({ seq: m.seq, subject: m.subject }, 'dropping a message that fails its schema');
      m.term();
      return;
    }
    // Keep the ack deadline ahead of a long task; a dead process stops renewing it.
    const keepAlive = setInterval(() => m.working(), Math.max(100, this.worker.ackWaitMs / 3));
    const deadline = AbortSignal.timeout(this.worker.maxHandleMs + 1_000);
    const item: WorkItem = { seq: m.seq, subject: m.subject, event, deliveryCount: m.info.deliveryCount };
    try {
      await this.worker.handle(item, deadline);
      m.ack();
    } catch (err) {
      if (item.deliveryCount >= this.worker.maxDeliver && this.worker.giveUp) {
        try {
          await this.worker.giveUp(item, err);
          log.warn({ seq: m.seq, delivery: item.deliveryCount, error: errorLine(err) }, 'work item failed on its last delivery; recorded as failed');
          m.ack();
          return;
        } catch (giveUpErr) {
          log.warn({ seq: m.seq, error: errorLine(giveUpErr) }, 'could not record a failed work item');
        }
      }
      const delay = Math.min(30_000, 250 * 2 ** (item.deliveryCount - 1));
      // A RetryLater was expected and its handler has logged why; anything else was not.
      if (err instanceof RetryLater) log.debug({ seq: m.seq, delivery: item.deliveryCount, retry_in_ms: delay }, 'work item redelivered later');
      else log.warn({ seq: m.seq, delivery: item.deliveryCount, retry_in_ms: delay, error: errorLine(err) }, 'work item failed; will be redelivered');
      m.nak(delay);
    } finally {
      clearInterval(keepAlive);
    }
  }
}

/** An error's first line, bounded: what a log line may say of it (no stacks, nothing long). */
function errorLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return (text.split('\n')[0] ?? '').slice(0, 200);
}
