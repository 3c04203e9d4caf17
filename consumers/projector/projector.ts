import { AckPolicy, DeliverPolicy, type JsMsg } from '@nats-io/jetstream';
import { nanos } from '@nats-io/nats-core';
import { STREAMS } from '@mayfly/contracts';
import { isTransientDatabaseError, type Database, type Queryable } from '../../server/platform/db/database.ts';
import type { Logger } from '../../server/platform/logger.ts';
import type { Metrics } from '../../server/platform/metrics.ts';
import type { Broker } from '../../server/platform/nats/connect.ts';
import { isConsumerNotFound } from '../../server/platform/nats/errors.ts';
import { checkpointSubject, readCheckpoint } from '../read-side/checkpoints.ts';
import { Lease, whileLeader } from '../jobs/lease.ts';
import { SerialBatcher } from './serial-batcher.ts';
import { DeliverySequence } from './delivery-sequence.ts';
import { describeFailure, park } from './parked.ts';
import { sleep } from '../../server/platform/sleep.ts';
import type { KV } from '@nats-io/kv';
import type { Delivery, Projection } from '../projection/projection.ts';
import { decodeDelivery } from '../../server/platform/events/decode.ts';

export interface ProjectorDeps {
  broker: Broker;
  db: Database;
  log: Logger;
  metrics: Metrics;
  leases: KV;
  leaseTtlMs: number;
  holder: string;
  now: () => Date;
  batchSize?: number;
  /** The shortest time between two batches' starts (default 10 ms); see {@link SerialBatcher}. */
  minFlushIntervalMs?: number;
  /** How long a delivered message may wait for its ack before the broker sends it again (default 60 s). */
  ackWaitMs?: number;
}

/** A delivered message, decoded on arrival (no delivery: a message no projection can read). */
interface Delivered {
  m: JsMsg;
  delivery: Delivery | undefined;
}

/** The durable consumer that feeds a projection. */
export const durableName = (projection: string) => `projection_${projection}`;

/**
 * Keeps one projection up to date: a durable pull consumer per projection, batches applied in
 * ONE transaction together with the checkpoint, acked after commit, events the checkpoint
 * already covers skipped. One process projects at a time (a lease), because order matters:
 * on taking over, the consumer is re-seated at checkpoint + 1, so nothing a crashed holder
 * left unacknowledged is skipped or applied out of order.
 */
export class Projector {
  #stop = new AbortController();
  #running: Promise<void> | undefined;
  readonly #batchSize: number;
  readonly #stream: string;
  /**
   * Where this projector last left its checkpoint (undefined: not known, read it under lock).
   * Lets a batch's transaction move the checkpoint with a guarded UPDATE sent together with the
   * projection's statements instead of a locking read before them (see {@link Projector.#commit}).
   */
  #checkpoint: number | undefined;

  constructor(
    readonly projection: Projection,
    private readonly deps: ProjectorDeps,
  ) {
    this.#batchSize = deps.batchSize ?? 1000;
    this.#stream = STREAMS[projection.stream].name;
    // The projection's counters exist from the start, at 0, whatever it has seen.
    for (const counter of [deps.metrics.eventsApplied, deps.metrics.projectionParked, deps.metrics.eventsInvalid]) counter.inc({ projection: projection.name }, 0);
  }

  /** Starts projecting (again, after a stop) whenever this process holds the projection's lease. */
  start(): void {
    if (this.#stop.signal.aborted) this.#stop = new AbortController();
    const lease = new Lease(this.deps.leases, `projection.${this.projection.name}`, this.deps.holder);
    const log = this.deps.log.child({ projection: this.projection.name });
    this.#running = whileLeader(lease, this.deps.leaseTtlMs, this.#stop.signal, log, (signal) => this.#project(signal, log));
  }

  /** Stops after the batch in flight has committed and been acked. */
  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#running;
  }

  async #project(signal: AbortSignal, log: Logger): Promise<void> {
    const { broker, db } = this.deps;
    await db.query(
      'INSERT INTO projection_checkpoints (projection, stream) VALUES ($1, $2) ON CONFLICT DO NOTHING',
      [this.projection.name, this.#stream],
    );
    const from = (await readCheckpoint(db, this.projection.name, this.#stream)) + 1;
    this.#checkpoint = from - 1;
    const streamLast = (await broker.jsm.streams.info(this.#stream)).state.last_seq;
    if (from > streamLast + 1) {
      // The database has seen sequences this stream never had: the stream was recreated.
      log.error(
        { checkpoint: from - 1, stream_last_seq: streamLast },
        'projection checkpoint is ahead of its stream (was the stream recreated?); new events wait until it catches up: rebuild the projection',
      );
    }
    await this.#seatConsumer(from);
    const consumer = await broker.js.consumers.get(this.#stream, durableName(this.projection.name));
    const batcher = new SerialBatcher<Delivered>(this.#batchSize, (batch) => this.#flush(batch), this.deps.minFlushIntervalMs ?? 10);
    // A delivery that never arrived ends this round before anything after it is queued: the
    // next round re-seats the consumer at the checkpoint, which is still below the lost one.
    const deliveries = new DeliverySequence();
    let stopConsuming = () => undefined as void;
    let astray: { expected: number; got: number; seq: number } | undefined;
    // Callback mode: every delivered message is decoded and queued at once (while the batch
    // before it is being written); the batcher flushes what has queued up after the current
    // turn of the event loop (single events when idle, full batches under load). The
    // iterator's pending count is not a safe flush signal: it can report messages that never
    // arrive, leaving a tail unflushed until redelivery.
    const messages = await consumer.consume({
      max_messages: this.#batchSize * 2,
      callback: (m) => {
        if (astray) return;
        const expected = deliveries.expected;
        if (deliveries.accept(m.info.deliverySequence)) return batcher.push(this.#decode(m));
        astray = { expected, got: m.info.deliverySequence, seq: m.seq };
        stopConsuming();
      },
    });
    stopConsuming = () => void messages.stop();
    if (astray) stopConsuming();
    batcher.onFailure = stopConsuming;
    const onAbort = () => void messages.stop();
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) onAbort(); // stopped while the consumer was being set up
    log.info({ from_seq: from }, 'projecting');
    try {
      await messages.closed();
      await batcher.idle();
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
    // A failed batch was not acked: the next round re-seats the consumer at the checkpoint.
    if (batcher.failure !== undefined) throw batcher.failure;
    if (astray) {
      log.warn(
        { delivery_expected: astray.expected, delivery_got: astray.got, stream_seq: astray.seq },
        'a delivery did not arrive (consumer leader change, or another puller); projecting again from the checkpoint',
      );
      return;
    }
    if (!signal.aborted) await sleep(250, signal); // consumption ended by itself: start over shortly
  }

  /** (Re)creates the durable consumer so that its next delivery is `fromSeq`. */
  async #seatConsumer(fromSeq: number): Promise<void> {
    const { jsm } = this.deps.broker;
    const name = durableName(this.projection.name);
    try {
      await jsm.consumers.delete(this.#stream, name);
    } catch (err) {
      if (!isConsumerNotFound(err)) throw err;
    }
    await jsm.consumers.add(this.#stream, {
      durable_name: name,
      // Batches are applied in stream order, so acknowledging a batch's last message
      // acknowledges the batch: one ack per transaction instead of one per event.
      ack_policy: AckPolicy.All,
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: fromSeq,
      ack_wait: nanos(this.deps.ackWaitMs ?? 60_000),
      max_ack_pending: this.#batchSize * 4,
      inactive_threshold: nanos(7 * 86_400_000),
    });
  }

  /** What a message means to the projection, decoded once on arrival. */
  #decode(m: JsMsg): Delivered {
    const delivery = decodeDelivery(m);
    if (!delivery) {
      this.deps.metrics.eventsInvalid.inc({ projection: this.projection.name });
      this.deps.log.warn({ projection: this.projection.name, seq: m.seq, subject: m.subject }, 'skipping an event that fails its schema');
    }
    return { m, delivery };
  }

  /**
   * Applies a batch in one transaction with the checkpoint. The batch is put in stream order and
   * cut to what the checkpoint does not cover: a message redelivered (its ack wait passed while
   * an earlier batch was being written) can arrive behind newer ones, and must neither be
   * applied twice nor hold the checkpoint back. The checkpoint becomes the highest sequence
   * applied, and acking that message acks everything below it (AckPolicy.All).
   *
   * A batch that fails for a reason of its data (not a database away) is split until the event
   * that fails is found; everything before it is applied, the event is retried a few times, then
   * parked (recorded, counted, logged once) and skipped, and everything after it is applied:
   * one app's poison never stops a projection for every app.
   */
  async #flush(delivered: Delivered[]): Promise<void> {
    const { metrics, now, broker } = this.deps;
    const name = this.projection.name;
    let newest = delivered[0]!.m;
    for (const d of delivered) if (d.m.seq > newest.seq) newest = d.m;
    const applied = await this.#commit(inStreamOrder(delivered), newest.seq);
    newest.ack(); // AckPolicy.All: covers every message up to it
    broker.nc.publish(checkpointSubject(name), JSON.stringify({ stream: this.#stream, seq: newest.seq }));
    metrics.eventsApplied.inc({ projection: name }, applied.length);
    metrics.projectionCheckpoint.set({ projection: name, stream: this.#stream }, newest.seq);
    const last = applied.findLast((d) => 'event' in d);
    if (last && 'event' in last) {
      metrics.projectionLagSeconds.set({ projection: name }, (now().getTime() - Date.parse(last.event.occurred_at)) / 1000);
    }
    metrics.projectionLagMessages.set({ projection: name }, newest.info.pending);
  }

  /**
   * Applies `items` (stream order) in one transaction and moves the checkpoint to `upTo`;
   * returns what was applied. On a failure of the data, splits (see {@link Projector.#flush}).
   */
  async #commit(items: Sequenced[], upTo: number): Promise<Delivery[]> {
    try {
      const known = this.#checkpoint;
      const done = (known !== undefined && upTo > known && (await this.#commitAfter(known, items, upTo))) || (await this.#commitLocked(items, upTo));
      this.#checkpoint = done.checkpoint;
      return done.applied;
    } catch (err) {
      this.#checkpoint = undefined;
      if (isTransientDatabaseError(err)) throw err;
      if (items.length === 1) return this.#poisoned(items[0]!, upTo, err);
      const half = Math.ceil(items.length / 2);
      const first = items.slice(0, half);
      return [...(await this.#commit(first, first[first.length - 1]!.seq)), ...(await this.#commit(items.slice(half), upTo))];
    }
  }

  /**
   * The usual case: the checkpoint is still at `known`, where this projector left it. The UPDATE
   * that moves it on only if so (taking its row lock) goes out together with the projection's
   * statements, so the transaction holds the database for one round trip from this thread, not
   * three: with the embedded database in a thread of its own, every round trip waits for a turn
   * of this busy event loop while every other read waits for the transaction. False when the
   * checkpoint was elsewhere (another holder, a replay's swap): nothing was written.
   */
  async #commitAfter(known: number, items: Sequenced[], upTo: number): Promise<Committed | false> {
    try {
      return await this.deps.db.transaction(async (tx) => {
        const fresh = freshAfter(items, known);
        const [moved] = await Promise.all([
          tx.command('UPDATE projection_checkpoints SET last_seq = $3, updated_at = now() WHERE projection = $1 AND stream = $2 AND last_seq = $4', [
            this.projection.name,
            this.#stream,
            upTo,
            known,
          ]),
          fresh.length > 0 ? this.projection.apply(tx, fresh, this.deps.now()) : undefined,
        ]);
        if (moved !== 1) throw new CheckpointMoved();
        return { applied: fresh, checkpoint: upTo };
      });
    } catch (err) {
      if (err instanceof CheckpointMoved) return false;
      throw err;
    }
  }

  /** Reads the checkpoint under lock, then applies what it does not cover and moves it to `upTo`. */
  async #commitLocked(items: Sequenced[], upTo: number): Promise<Committed> {
    return await this.deps.db.transaction(async (tx) => {
      const checkpoint = await this.#lockCheckpoint(tx);
      const fresh = freshAfter(items, checkpoint);
      if (fresh.length > 0) await this.projection.apply(tx, fresh, this.deps.now());
      if (upTo > checkpoint) await this.#setCheckpoint(tx, upTo);
      return { applied: fresh, checkpoint: Math.max(checkpoint, upTo) };
    });
  }

  /** One event that fails alone: tried again a few times, then parked and skipped. */
  async #poisoned(item: Sequenced, upTo: number, firstError: unknown): Promise<Delivery[]> {
    let error = firstError;
    for (let attempt = 2; attempt <= POISON_ATTEMPTS; attempt++) {
      await sleep(POISON_BACKOFF_MS * 4 ** (attempt - 2));
      try {
        return await this.deps.db.transaction(async (tx) => {
          const checkpoint = await this.#lockCheckpoint(tx);
          if (item.seq <= checkpoint || !item.delivery) return [];
          await this.projection.apply(tx, [item.delivery], this.deps.now());
          if (upTo > checkpoint) await this.#setCheckpoint(tx, upTo);
          return [item.delivery];
        });
      } catch (err) {
        if (isTransientDatabaseError(err)) throw err;
        error = err;
      }
    }
    const d = item.delivery!;
    const parked = {
      projection: this.projection.name,
      stream: this.#stream,
      seq: item.seq,
      subject: d.subject,
      tenant: 'event' in d ? d.event.tenant : null,
      error: describeFailure(error),
      attempts: POISON_ATTEMPTS,
      at: this.deps.now(),
    };
    await this.deps.db.transaction(async (tx) => {
      const checkpoint = await this.#lockCheckpoint(tx);
      await park(tx, parked);
      if (upTo > checkpoint) await this.#setCheckpoint(tx, upTo);
    });
    this.deps.metrics.projectionParked.inc({ projection: this.projection.name });
    this.deps.log.warn(
      { projection: parked.projection, stream: parked.stream, seq: parked.seq, tenant: parked.tenant, error: parked.error, attempts: parked.attempts },
      'parked an event the projection can not apply; the events after it go on (npm run ops -- parked list)',
    );
    return [];
  }

  async #lockCheckpoint(tx: Queryable): Promise<number> {
    const rows = await tx.query<{ last_seq: number }>('SELECT last_seq FROM projection_checkpoints WHERE projection = $1 AND stream = $2 FOR UPDATE', [
      this.projection.name,
      this.#stream,
    ]);
    return rows[0]?.last_seq ?? 0;
  }

  async #setCheckpoint(tx: Queryable, seq: number): Promise<void> {
    await tx.query('UPDATE projection_checkpoints SET last_seq = $3, updated_at = now() WHERE projection = $1 AND stream = $2', [
      this.projection.name,
      this.#stream,
      seq,
    ]);
  }
}

/** A message in a batch: its sequence, and what it means to a projection (undefined: unreadable, skipped). */
interface Sequenced {
  seq: number;
  delivery: Delivery | undefined;
}

/** What a batch's transaction applied, and where it left the checkpoint. */
interface Committed {
  applied: Delivery[];
  checkpoint: number;
}

/** Thrown inside a transaction to roll it back: the checkpoint was not where the projector left it. */
class CheckpointMoved extends Error {}

/** The deliveries of `items` past `checkpoint`, in order. */
const freshAfter = (items: readonly Sequenced[], checkpoint: number): Delivery[] => items.flatMap((i) => (i.delivery && i.seq > checkpoint ? [i.delivery] : []));

/** Tries of an event that fails alone before it is parked, and the pause before the second (then x4). */
const POISON_ATTEMPTS = 3;
const POISON_BACKOFF_MS = 50;

/** A batch's messages, each once, in stream order. */
export function inStreamOrder(delivered: readonly { m: { seq: number }; delivery: Delivery | undefined }[]): Sequenced[] {
  const bySeq = new Map<number, Sequenced>();
  for (const d of delivered) bySeq.set(d.m.seq, { seq: d.m.seq, delivery: d.delivery });
  return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
}
