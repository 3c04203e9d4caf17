import { describe, expect, it } from 'vitest';
import { SerialBatcher, type BatchClock } from './serial-batcher.ts';

/** A clock that moves only when told to: timers fire in order as time is advanced past them. */
class ManualClock implements BatchClock {
  t = 0;
  #timers: { at: number; fire: () => void }[] = [];
  now = () => this.t;
  sleep = (ms: number) => new Promise<void>((fire) => this.#timers.push({ at: this.t + ms, fire }));
  yield = () => Promise.resolve();
  /** Moves time forward by `ms`, firing every timer due on the way and letting what they start run. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      await settle();
      const due = this.#timers.filter((x) => x.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.#timers.splice(this.#timers.indexOf(due), 1);
      this.t = due.at;
      due.fire();
    }
    this.t = end;
    await settle();
  }
}

const settle = () => new Promise((r) => setImmediate(r));

describe('SerialBatcher', () => {
  it('flushes a lone item at once and gathers a steady stream into fewer batches, in order', async () => {
    const clock = new ManualClock();
    const batches: { at: number; items: number[] }[] = [];
    const batcher = new SerialBatcher<number>(1000, async (items) => void batches.push({ at: clock.now(), items }), 40, clock);
    batcher.push(0);
    await settle();
    expect(batches).toEqual([{ at: 0, items: [0] }]); // not held back: nothing was flushed recently

    for (let i = 1; i <= 100; i++) {
      batcher.push(i);
      await clock.advance(2);
    }
    await clock.advance(100);
    await batcher.idle();
    expect(batches.flatMap((b) => b.items)).toEqual(Array.from({ length: 101 }, (_, i) => i));
    // 200 ms of arrivals at one start per 40 ms: 5 or 6 batches, never two closer than 40 ms.
    expect(batches.length).toBeLessThanOrEqual(7);
    for (let i = 1; i < batches.length; i++) expect(batches[i]!.at - batches[i - 1]!.at).toBeGreaterThanOrEqual(40);
  });

  it('does not wait while a full batch is queued', async () => {
    const clock = new ManualClock();
    const sizes: number[] = [];
    const batcher = new SerialBatcher<number>(10, async (items) => void sizes.push(items.length), 300, clock);
    for (let i = 0; i < 35; i++) batcher.push(i);
    await clock.advance(100);
    expect(sizes).toEqual([10, 10, 10]); // full batches back to back; the short tail waits
    await clock.advance(300);
    await batcher.idle();
    expect(sizes).toEqual([10, 10, 10, 5]);
  });

  it('drops everything after a failed flush and takes nothing more', async () => {
    const clock = new ManualClock();
    let stopped = 0;
    const batcher = new SerialBatcher<number>(2, async () => {
      throw new Error('database hiccup');
    }, 0, clock);
    batcher.onFailure = () => void stopped++;
    for (let i = 0; i < 5; i++) batcher.push(i);
    await batcher.idle();
    batcher.push(9);
    await batcher.idle();
    expect(stopped).toBe(1);
    expect(batcher.failure).toBeInstanceOf(Error);
  });
});
