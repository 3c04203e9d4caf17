import { describe, expect, it } from 'vitest';
import { memoryCounter } from './rate-counters.ts';

const MIN = 60_000;

describe('the in-memory rate counter', () => {
  it('counts per bucket and window', async () => {
    const c = memoryCounter();
    expect(await c.increment('app:a|drafts.list', 0, MIN)).toBe(1);
    expect(await c.increment('app:a|drafts.list', 0, MIN)).toBe(2);
    expect(await c.increment('app:b|drafts.list', 0, MIN)).toBe(1);
    expect(await c.increment('app:a|drafts.list', MIN, 2 * MIN)).toBe(1);
  });

  it('keeps an app’s count no longer than its window, however few windows it holds', async () => {
    const c = memoryCounter();
    await c.increment('app:gone.app|drafts.create', 0, MIN);
    await c.increment('app:other|drafts.create', 0, 3600_000); // an hourly window, still open
    expect(c.size).toBe(2);
    // Counting goes on a minute later (another app): the ended window has gone, the open one stays.
    await c.increment('app:other|drafts.list', 2 * MIN, 3 * MIN);
    expect(c.size).toBe(2);
    expect(await c.increment('app:other|drafts.create', 0, 3600_000)).toBe(2);
  });

  it('holds at most `max` windows, the least recently counted going first', async () => {
    const c = memoryCounter(3);
    for (const app of ['a', 'b', 'c', 'd']) await c.increment(`app:${app}|x`, 0, MIN);
    expect(c.size).toBe(3);
    expect(await c.increment('app:a|x', 0, MIN)).toBe(1);
  });
});
