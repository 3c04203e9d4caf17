import { createInbox, headers as natsHeaders, NoRespondersError, TimeoutError, type Msg, type NatsConnection, type Subscription } from '@nats-io/nats-core';
import { JetStreamApiError } from '@nats-io/jetstream';

/** What JetStream answers to a publish once the message is stored. */
export interface PubAck {
  stream: string;
  seq: number;
  duplicate: boolean;
}

/** The JetStream publish headers Mayfly sets. */
export interface PublishHeaders {
  msgId: string;
  expectedStream: string;
  expectedLastSubjectSequence?: number;
  /** Per-message TTL (`Nats-TTL`, NATS 2.11+), e.g. `90s`. */
  ttl?: string;
}

interface Pending {
  resolve: (ack: PubAck) => void;
  reject: (err: Error) => void;
  deadline: number;
}

interface Queued {
  subject: string;
  data: string;
  headers: PublishHeaders;
  token: string;
}

/**
 * JetStream publishes pipelined: every publish made during one turn of the event loop goes out
 * in one socket write, and the PubAcks come back on one wildcard inbox subscription, matched by
 * token. Under load, the requests of many HTTP calls share a write (and the broker's read)
 * instead of each paying its own; a lone publish still leaves at once (`setImmediate`). One
 * timer sweeps the publishes whose ack is overdue, instead of one timer and error object per
 * request.
 *
 * The result is the same as `js.publish`'s: the PubAck, or a `JetStreamApiError` (wrong last
 * sequence, ...), a `NoRespondersError` (no stream listens on the subject) or a `TimeoutError`
 * (no ack in time: the message may or may not be stored; its msgID makes a retry safe).
 */
export class PipelinedPublisher {
  readonly #nc: NatsConnection;
  readonly #timeoutMs: number;
  readonly #prefix: string;
  readonly #pending = new Map<string, Pending>();
  readonly #sub: Subscription;
  readonly #sweeper: ReturnType<typeof setInterval>;
  #queue: Queued[] = [];
  #scheduled = false;
  #next = 0;

  constructor(nc: NatsConnection, opts: { timeoutMs: number }) {
    this.#nc = nc;
    this.#timeoutMs = opts.timeoutMs;
    this.#prefix = `${createInbox()}.`;
    this.#sub = nc.subscribe(`${this.#prefix}*`, { callback: (_err, msg) => this.#onAck(msg) });
    this.#sweeper = setInterval(() => this.#sweep(), Math.min(1_000, this.#timeoutMs));
    this.#sweeper.unref?.();
  }

  /** Publishes `data` on `subject` and resolves with its PubAck. */
  publish(subject: string, data: string, headers: PublishHeaders): Promise<PubAck> {
    const token = (this.#next++).toString(36);
    const acked = new Promise<PubAck>((resolve, reject) => {
      this.#pending.set(token, { resolve, reject, deadline: Date.now() + this.#timeoutMs });
    });
    this.#queue.push({ subject, data, headers, token });
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => this.#flush());
    }
    return acked;
  }

  /** Stops listening for acks; publishes still waiting fail. */
  close(): void {
    clearInterval(this.#sweeper);
    this.#sub.unsubscribe();
    for (const [token, p] of this.#pending) {
      this.#pending.delete(token);
      p.reject(new Error('the publisher was closed before the broker acknowledged the message'));
    }
  }

  #flush(): void {
    this.#scheduled = false;
    const queue = this.#queue;
    this.#queue = [];
    // Published in one synchronous run: the client coalesces them into one socket write.
    for (const m of queue) {
      const h = natsHeaders();
      h.set('Nats-Msg-Id', m.headers.msgId);
      h.set('Nats-Expected-Stream', m.headers.expectedStream);
      if (m.headers.expectedLastSubjectSequence !== undefined) {
        h.set('Nats-Expected-Last-Subject-Sequence', String(m.headers.expectedLastSubjectSequence));
      }
      if (m.headers.ttl) h.set('Nats-TTL', m.headers.ttl);
      try {
        this.#nc.publish(m.subject, m.data, { reply: this.#prefix + m.token, headers: h });
      } catch (err) {
        this.#settle(m.token, err instanceof Error ? err : new Error(String(err)));
      }
    }
  }

  #onAck(msg: Msg): void {
    const token = msg.subject.slice(this.#prefix.length);
    if (msg.headers?.code === 503) return this.#settle(token, new NoRespondersError(msg.subject));
    let reply: { error?: { code: number; err_code: number; description: string }; stream?: string; seq?: number; duplicate?: boolean };
    try {
      reply = msg.json();
    } catch (err) {
      return this.#settle(token, new Error('unreadable publish acknowledgement', { cause: err }));
    }
    if (reply.error) return this.#settle(token, new JetStreamApiError(reply.error));
    if (!reply.stream || typeof reply.seq !== 'number') return this.#settle(token, new Error('invalid publish acknowledgement'));
    this.#settle(token, { stream: reply.stream, seq: reply.seq, duplicate: reply.duplicate === true });
  }

  #settle(token: string, outcome: PubAck | Error): void {
    const p = this.#pending.get(token);
    if (!p) return; // already timed out
    this.#pending.delete(token);
    if (outcome instanceof Error) p.reject(outcome);
    else p.resolve(outcome);
  }

  #sweep(): void {
    const now = Date.now();
    for (const [token, p] of this.#pending) {
      if (p.deadline <= now) this.#settle(token, new TimeoutError());
    }
  }
}
