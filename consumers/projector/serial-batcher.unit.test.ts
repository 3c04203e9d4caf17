import { describe, expect, it } from 'vitest';
import { SerialBatcher } from './projector.ts';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('SerialBatcher', () => {
  it('flushes a lone item at once and gathers a steady stream into fewer batches, in order', async () => {
    const batches: { at: number; items: number[] }[] = [];
    const started = performance.now();
    const batcher = new SerialBatcher<number>(
      1000,
      async (items) => {
        batches.push({ at: performance.now() - started, items });
        await tick(1);
      },
      40,
    );
    batcher.push(0);
    await batcher.idle();
    expect(batches).toHaveLength(1);
    expect(batches[0]!.at).toBeLessThan(30); // not held back: nothing was flushed recently

    for (let i = 1; i <= 100; i++) {
      batcher.push(i);
      await tick(2);
    }
    await batcher.idle();
    expect(batches.flatMap((b) => b.items)).toEqual(Array.from({ length: 101 }, (_, i) => i));
    // ~200 ms of arrivals at one start per 40 ms: a handful of batches, not one per item.
    expect(batches.length).toBeLessThan(15);
    for (let i = 1; i < batches.length; i++) expect(batches[i]!.at - batches[i - 1]!.at).toBeGreaterThanOrEqual(38);
  });

  it('does not wait while a full batch is queued', async () => {
    const sizes: number[] = [];
    const batcher = new SerialBatcher<number>(10, async (items) => void sizes.push(items.length), 300);
    for (let i = 0; i < 35; i++) batcher.push(i);
    await tick(100);
    expect(sizes).toEqual([10, 10, 10]); // full batches back to back; the short tail waits
    await batcher.idle();
    expect(sizes).toEqual([10, 10, 10, 5]);
  });
});
