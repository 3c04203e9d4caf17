import { EVENTS, STREAMS, type AnyEvent, type EventOf, type EventType, type StreamName } from '@mayfly/contracts';
import { MayflyError, unavailable, conflict } from '../errors.ts';
import { newId, notePublished } from './ids.ts';
import { decodeEvent } from './decode.ts';
import { findValueProblem } from '../values.ts';
import type { Broker } from '../nats/connect.ts';
import { isNoMessageFound, isWrongLastSequence } from '../nats/errors.ts';
import { messageTtlFor } from '../nats/message-ttl.ts';
import { PipelinedPublisher } from '../../fast-paths/pipelined-publisher.ts';
import type { StreamCapabilities } from '../nats/streams.ts';
import type { Metrics } from '../metrics.ts';

/** Where an event landed: the PubAck is the commit point of every write. */
export interface Published {
  stream: string;
  seq: number;
  duplicate: boolean;
}

export interface PublishOptions {
  /** Optimistic concurrency: the subject's last sequence must still be this (0 = no message yet). */
  expectLastSubjectSequence?: number;
  /**
   * The item's own lifetime. Where it is shorter than the stream's max-age and the server has
   * per-message TTL, the message carries it (`Nats-TTL`); otherwise the reconciler removes the
   * message when the item expires.
   */
  ttlSeconds?: number;
}

/** Builds an event envelope of the catalog with a fresh id and the given clock. */
export function newEvent<T extends EventType>(
  type: T,
  tenant: string,
  data: EventOf<T>['data'],
  now: Date,
  id: string = newId(),
): EventOf<T> {
  return { id, type, tenant, occurred_at: now.toISOString(), data, v: EVENTS[type].v } as EventOf<T>;
}

/** How long a publish waits for the broker's acknowledgement. */
const PUBLISH_TIMEOUT_MS = 10_000;

/** Publishes domain events to JetStream: validated, deduplicated by event id, counted. */
export class EventPublisher {
  #pipeline: PipelinedPublisher | undefined;

  constructor(
    private readonly broker: Broker,
    private readonly metrics: Metrics,
    private readonly streams: Map<StreamName, StreamCapabilities>,
  ) {}

  /**
   * Publishes `event` on `subject`. The event id is the `Nats-Msg-Id`, so a retried publish
   * answers with the original sequence (`duplicate: true`) instead of storing twice.
   */
  async publish(event: AnyEvent, subject: string, opts: PublishOptions = {}): Promise<Published> {
    const entry = EVENTS[event.type];
    // What the broker and every projection will take: nothing too deep to serialise, no text
    // Postgres refuses. Callers check their input first; this is the last line.
    const problem = findValueProblem(event.data, 'data');
    if (problem) throw new MayflyError('VALIDATION_FAILED', `the event ${problem.message}`, { details: [problem] });
    entry.schema.parse(event);
    const stream = STREAMS[entry.stream];
    if (!subject.startsWith(`${stream.prefix}.`)) throw new Error(`subject ${subject} is not in stream ${stream.name}`);
    const caps = this.streams.get(entry.stream);
    const ttl =
      opts.ttlSeconds === undefined || !caps ? undefined : messageTtlFor(opts.ttlSeconds, caps.maxAgeSeconds, caps.messageTtl);
    try {
      this.#pipeline ??= new PipelinedPublisher(this.broker.nc, { timeoutMs: PUBLISH_TIMEOUT_MS });
      const ack = await this.#pipeline.publish(subject, JSON.stringify(event), {
        msgId: event.id,
        expectedStream: stream.name,
        expectedLastSubjectSequence: opts.expectLastSubjectSequence,
        ttl,
      });
      this.metrics.eventsPublished.inc({ stream: ack.stream, type: event.type });
      notePublished(subject);
      return { stream: ack.stream, seq: ack.seq, duplicate: ack.duplicate };
    } catch (err) {
      if (isWrongLastSequence(err)) {
        // Since 2.11 the server checks the expected subject sequence before the Nats-Msg-Id
        // dedup (2.9 the other way round): a retry of a publish that was stored answers "wrong
        // last sequence" when its own message is now the subject's last. Answer it as the
        // duplicate it is; anything else on the subject is a real conflict.
        const own = await this.#lastOnSubject(stream.name, subject, event.id);
        if (own) return own;
        throw conflict('the item changed concurrently; read it again and retry');
      }
      throw unavailable('the event broker is not available; try again', err);
    }
  }

  /** The subject's last message as a duplicate ack when it carries `msgId`, else undefined. */
  async #lastOnSubject(stream: string, subject: string, msgId: string): Promise<Published | undefined> {
    try {
      const m = await this.broker.jsm.direct.getMessage(stream, { last_by_subj: subject });
      return m?.header?.get('Nats-Msg-Id') === msgId ? { stream, seq: m.seq, duplicate: true } : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * Publishes `event` and resolves with the event as the broker holds it: `event` itself, or
   * for a retry (`duplicate: true`: this id was stored before) the original, whose times and
   * values the answer must show, never freshly made ones. A retry whose original has left the
   * broker (deleted, expired) is 410 IDEMPOTENT_RESULT_GONE: it acknowledges nothing.
   */
  async publishOnce<E extends AnyEvent>(event: E, subject: string, opts: PublishOptions = {}): Promise<E> {
    const ack = await this.publish(event, subject, opts);
    if (!ack.duplicate) return event;
    let stored: AnyEvent | undefined;
    try {
      const m = await this.broker.jsm.direct.getMessage(ack.stream, { seq: ack.seq });
      stored = m ? decodeEvent(m.data) : undefined;
    } catch (err) {
      if (!isNoMessageFound(err)) throw unavailable('the event broker is not available; try again', err);
    }
    if (!stored || stored.id !== event.id) {
      throw new MayflyError('IDEMPOTENT_RESULT_GONE', 'the result of this request is gone: what it created or changed was deleted or has expired');
    }
    return stored as E;
  }

  /** Stops waiting for acknowledgements (publishes still in flight fail). */
  close(): void {
    this.#pipeline?.close();
    this.#pipeline = undefined;
  }
}
