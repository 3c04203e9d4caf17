import type { NatsConnection, Subscription } from '@nats-io/nats-core';
import type { Database, Queryable } from '../../server/platform/db/database.ts';
import { MayflyError } from '../../server/platform/errors.ts';

/** Core-NATS subject on which a projector announces each committed checkpoint. */
export const checkpointSubject = (projection: string) => `mayfly.checkpoints.${projection}`;

interface Announcement {
  stream: string;
  seq: number;
  /** The checkpoint was set, not moved on (a replay rebuilt the projection): replace, do not max. */
  reset?: boolean;
}

/**
 * Announces a checkpoint that was set rather than advanced (a replay's swap may move it back,
 * e.g. after its stream was recreated): trackers take it as it is instead of keeping the
 * highest value they have seen, so reads wait for the rebuilt projection again.
 */
export function announceCheckpointReset(nc: NatsConnection, projection: string, stream: string, seq: number): void {
  nc.publish(checkpointSubject(projection), JSON.stringify({ stream, seq, reset: true } satisfies Announcement));
}

/** Reads a projection's checkpoint (0 before its first batch). */
export async function readCheckpoint(q: Queryable, projection: string, stream: string): Promise<number> {
  const rows = await q.query<{ last_seq: number }>(
    'SELECT last_seq FROM projection_checkpoints WHERE projection = $1 AND stream = $2',
    [projection, stream],
  );
  return rows[0]?.last_seq ?? 0;
}

/**
 * Knows how far each projection has got, from the projectors' announcements, so that a read
 * can wait until the projection holds a write it must see (read-your-writes) without polling
 * the database. Works across processes: announcements travel over core NATS.
 */
export class CheckpointTracker {
  readonly #known = new Map<string, number>();
  readonly #waiters = new Map<string, Set<{ seq: number; resolve: () => void }>>();
  #sub: Subscription | undefined;

  constructor(
    private readonly nc: NatsConnection,
    private readonly db: Database,
  ) {}

  start(): void {
    this.#sub = this.nc.subscribe(checkpointSubject('*'), {
      callback: (err, msg) => {
        if (err) return;
        const projection = msg.subject.slice(checkpointSubject('').length);
        try {
          const a = msg.json<Announcement>();
          if (typeof a.seq !== 'number' || typeof a.stream !== 'string') return;
          this.#advance(projection, a.stream, a.seq, a.reset === true);
        } catch {
          // not an announcement of ours
        }
      },
    });
  }

  stop(): void {
    this.#sub?.unsubscribe();
  }

  #advance(projection: string, stream: string, seq: number, replace = false): void {
    const key = `${projection}/${stream}`;
    if (!replace && (this.#known.get(key) ?? 0) >= seq) return;
    this.#known.set(key, seq);
    for (const w of this.#waiters.get(key) ?? []) if (w.seq <= seq) w.resolve();
  }

  /**
   * Resolves once `projection` has applied `stream` up to `seq`; after `timeoutMs` without
   * that, throws 503 PROJECTION_LAGGING (the write is safe in the broker; the read is early).
   */
  async waitFor(projection: string, stream: string, seq: number, timeoutMs: number): Promise<void> {
    const key = `${projection}/${stream}`;
    if ((this.#known.get(key) ?? 0) >= seq) return;
    this.#advance(projection, stream, await readCheckpoint(this.db, projection, stream));
    if ((this.#known.get(key) ?? 0) >= seq) return;
    const waiters = this.#waiters.get(key) ?? new Set();
    this.#waiters.set(key, waiters);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const waiter = { seq, resolve: () => undefined as void };
    try {
      const reached = await new Promise<boolean>((resolve) => {
        waiter.resolve = () => resolve(true);
        waiters.add(waiter);
        timer = setTimeout(() => resolve(false), timeoutMs);
      });
      if (reached) return;
      // An announcement may have been missed (reconnect): the database has the last word.
      this.#advance(projection, stream, await readCheckpoint(this.db, projection, stream));
      if ((this.#known.get(key) ?? 0) >= seq) return;
      throw new MayflyError('PROJECTION_LAGGING', 'the data is not readable yet; try again shortly', {
        retryAfter: 1,
      });
    } finally {
      clearTimeout(timer);
      waiters.delete(waiter);
    }
  }
}
