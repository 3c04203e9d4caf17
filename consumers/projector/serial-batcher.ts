/** The time a batcher keeps: a monotonic clock in ms, a sleep, and a yield to the event loop (tests pass their own). */
export interface BatchClock {
  now(): number;
  sleep(ms: number): Promise<void>;
  /** Lets what else is ready run first (so that what arrives in the same turn joins the batch). */
  yield(): Promise<void>;
}

const realClock: BatchClock = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
  yield: () => new Promise((r) => setImmediate(r)),
};

/**
 * Queues messages and hands them to `flush` in order, one batch at a time, at most `max` per
 * batch. Flushes start at most every `minIntervalMs`: an event that arrives when nothing has
 * been flushed for that long goes at once, while a steady stream is gathered into fewer, larger
 * batches (a projection's cost is mostly per transaction, not per row). After a failure it
 * drops everything and accepts nothing more.
 */
export class SerialBatcher<T> {
  #queue: T[] = [];
  #running: Promise<void> | undefined;
  #lastStart = Number.NEGATIVE_INFINITY;
  failure: unknown = undefined;
  onFailure: (() => void) | undefined;

  constructor(
    private readonly max: number,
    private readonly flush: (batch: T[]) => Promise<void>,
    private readonly minIntervalMs = 0,
    private readonly clock: BatchClock = realClock,
  ) {}

  push(item: T): void {
    if (this.failure !== undefined) return;
    this.#queue.push(item);
    this.#running ??= this.#drain();
  }

  /** Resolves when nothing is queued or being flushed. */
  async idle(): Promise<void> {
    while (this.#running) await this.#running;
  }

  async #drain(): Promise<void> {
    await this.clock.yield();
    try {
      while (this.#queue.length > 0) {
        // A timer can fire early by the wall clock (libuv measures from the loop's cached time):
        // check again until the interval has really passed.
        for (let wait = this.#lastStart + this.minIntervalMs - this.clock.now(); wait > 0 && this.#queue.length < this.max; ) {
          await this.clock.sleep(Math.ceil(wait));
          wait = this.#lastStart + this.minIntervalMs - this.clock.now();
        }
        this.#lastStart = this.clock.now();
        await this.flush(this.#queue.splice(0, this.max));
      }
    } catch (err) {
      this.failure = err;
      this.#queue = [];
      this.onFailure?.();
    } finally {
      this.#running = undefined;
    }
  }
}
