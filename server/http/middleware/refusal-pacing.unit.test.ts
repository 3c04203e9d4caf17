import { describe, expect, it } from 'vitest';
import { Hono } from 'hono';
import { ADDRESSES_MAX, HELD_MAX, REFUSAL_BURST, REFUSALS_PER_SECOND, RefusalPacer, refusalPacing } from './refusal-pacing.ts';

describe('RefusalPacer', () => {
  it('answers a burst at once, then holds each refusal until the bucket refills', () => {
    let now = 1_000_000;
    const pacer = new RefusalPacer(1_000, () => now);
    const holds = Array.from({ length: REFUSAL_BURST + 3 }, () => pacer.refused('192.0.2.1'));
    expect(holds.slice(0, REFUSAL_BURST)).toEqual(Array(REFUSAL_BURST).fill(0));
    expect(holds.slice(REFUSAL_BURST)).toEqual([1_000, 1_000, 1_000]);
    // Another address has its own bucket.
    expect(pacer.refused('192.0.2.2')).toBe(0);
    // A second refills REFUSALS_PER_SECOND refusals, no more.
    now += 1_000;
    const after = Array.from({ length: REFUSALS_PER_SECOND + 1 }, () => pacer.refused('192.0.2.1'));
    expect(after.filter((ms) => ms === 0)).toHaveLength(REFUSALS_PER_SECOND);
    expect(after.at(-1)).toBe(1_000);
  });

  it('forgets an address once its bucket has refilled', () => {
    let now = 0;
    const pacer = new RefusalPacer(1_000, () => now);
    pacer.refused('192.0.2.1');
    now += 1_000;
    pacer.refused('192.0.2.2');
    expect(pacer.addresses).toBe(2);
    now += (REFUSAL_BURST / REFUSALS_PER_SECOND) * 1000 - 1_000;
    pacer.forgetRefilled();
    expect(pacer.addresses).toBe(1);
    now += 1_000;
    pacer.forgetRefilled();
    expect(pacer.addresses).toBe(0);
  });

  it('forgets the longest-quiet address beyond ADDRESSES_MAX', () => {
    const pacer = new RefusalPacer(1_000, () => 0);
    for (let i = 0; i < ADDRESSES_MAX + 500; i++) pacer.refused(`a${i}`);
    expect(pacer.addresses).toBe(ADDRESSES_MAX);
  });

  it('holds at most HELD_MAX answers at once and answers the rest at once', async () => {
    const pacer = new RefusalPacer(60_000, () => 0);
    for (let i = 0; i < REFUSAL_BURST; i++) pacer.refused('x');
    const holds: Promise<void>[] = [];
    for (let i = 0; i < HELD_MAX; i++) {
      const ms = pacer.refused('x');
      expect(ms).toBe(60_000);
      holds.push(pacer.hold(10));
    }
    expect(pacer.held).toBe(HELD_MAX);
    expect(pacer.refused('x')).toBe(0);
    await Promise.all(holds);
    expect(pacer.held).toBe(0);
    expect(pacer.refused('x')).toBe(60_000);
  });
});

describe('refusalPacing', () => {
  /**
   * An app whose /ok answers 200, /bad 400, and a known procedure 404 (a draft that expired).
   * Its pacer's clock stands still, so no refusal refills while a loaded machine is slow, and
   * `holds` counts the answers the middleware held: what was held is read from there, not
   * guessed from how long a request took.
   */
  function app(holdMs: number) {
    const a = new Hono();
    const counted = { holds: 0 };
    a.use(async (c, next) => {
      c.set('calls', c.req.path === '/api/v1/drafts/x' ? ['drafts.get'] : []);
      await next();
    });
    a.use(refusalPacing({ pacer: new RefusalPacer(holdMs, () => 0), procedures: new Set(['drafts.get']), trustedProxies: [], onHeld: () => (counted.holds += 1) }));
    a.get('/ok', (c) => c.text('ok'));
    a.get('/bad', (c) => c.json({ error: 'bad' }, 400));
    a.get('/api/v1/drafts/x', (c) => c.json({ error: 'gone' }, 404));
    return Object.assign(a, { counted });
  }
  const timed = async (a: Hono, path: string) => {
    const started = performance.now();
    const res = await a.request(path);
    return { status: res.status, ms: performance.now() - started };
  };

  it('holds refusals past the burst, with the same answer; successes and a procedure’s own 404 never', async () => {
    const a = app(300);
    for (let i = 0; i < REFUSAL_BURST; i++) expect((await timed(a, '/bad')).status).toBe(400);
    expect(a.counted.holds).toBe(0);
    const held = await timed(a, '/bad');
    expect(held.status).toBe(400);
    expect(a.counted.holds).toBe(1);
    expect(held.ms).toBeGreaterThanOrEqual(290);
    expect(await timed(a, '/ok')).toMatchObject({ status: 200 });
    for (let i = 0; i < 5; i++) expect((await timed(a, '/api/v1/drafts/x')).status).toBe(404);
    expect(a.counted.holds).toBe(1);
    // A junk path is a refusal.
    const b = app(300);
    for (let i = 0; i < REFUSAL_BURST; i++) expect((await timed(b, `/nowhere/${i}`)).status).toBe(404);
    expect(b.counted.holds).toBe(0);
    const junk = await timed(b, '/nowhere');
    expect(junk.status).toBe(404);
    expect(b.counted.holds).toBe(1);
    expect(junk.ms).toBeGreaterThanOrEqual(290);
  });
});
