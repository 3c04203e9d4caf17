import { describe, expect, it } from 'vitest';
import { Hono } from 'hono';
import { errorResponse, describeError } from '../errors.ts';
import { InFlightRequests } from './in-flight.ts';

/** An app whose /slow answers after `release()` is called. */
function app(inFlight: InFlightRequests) {
  const a = new Hono();
  const waiting: (() => void)[] = [];
  a.use(inFlight.middleware());
  a.get('/slow', async (c) => {
    await new Promise<void>((resolve) => waiting.push(resolve));
    return c.text('done');
  });
  a.get('/fast', (c) => c.text('ok'));
  a.onError((err, c) => errorResponse(c, describeError(err), err));
  return { a, release: () => waiting.splice(0).forEach((r) => r()) };
}

describe('InFlightRequests', () => {
  it('lets the requests being handled finish before settle() resolves, and refuses new ones with 503', async () => {
    const inFlight = new InFlightRequests();
    const { a, release } = app(inFlight);
    const slow = [Promise.resolve(a.request('/slow')), Promise.resolve(a.request('/slow'))];
    await new Promise((r) => setTimeout(r, 10));
    expect(inFlight.count).toBe(2);
    let settled: number | undefined;
    const settling = inFlight.settle(5_000).then((n) => (settled = n));
    await new Promise((r) => setTimeout(r, 20));
    expect(settled).toBeUndefined();
    const late = await a.request('/fast');
    expect(late.status).toBe(503);
    expect(late.headers.get('retry-after')).toBe('1');
    release();
    expect((await Promise.all(slow)).map((r) => r.status)).toEqual([200, 200]);
    await settling;
    expect(settled).toBe(0);
  });

  it('gives up after its timeout and says how many were still running', async () => {
    const inFlight = new InFlightRequests();
    const { a, release } = app(inFlight);
    const slow = a.request('/slow');
    await new Promise((r) => setTimeout(r, 10));
    expect(await inFlight.settle(50)).toBe(1);
    release();
    expect((await slow).status).toBe(200);
    expect(inFlight.count).toBe(0);
  });

  it('settles at once when nothing is being handled', async () => {
    const inFlight = new InFlightRequests();
    expect(await inFlight.settle(60_000)).toBe(0);
  });
});
