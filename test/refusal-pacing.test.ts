// A client that keeps sending what it is refused (a retry loop gone wrong, or an attacker that
// waits for its answers) is slowed down at the edge, over real HTTP, while a well-behaved
// client at the same address is answered as ever.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Mayfly } from '../server/runtime/start.ts';
import type { EmbeddedNats } from '../server/platform/nats/embedded-server.ts';
import { serve, type Listener } from '../server/http/serve.ts';
import { REFUSAL_BURST } from '../server/http/middleware/refusal-pacing.ts';
import { startTestMayfly } from './support/mayfly.ts';
import { startTestNats } from './support/nats.ts';

// Long enough that no answer a loaded machine is merely slow to give is taken for a held one.
const HOLD_MS = 1_000;

describe('refusal pacing', () => {
  let nats: EmbeddedNats;
  let mayfly: Mayfly;
  let listener: Listener;
  let url: string;

  beforeAll(async () => {
    nats = await startTestNats();
    mayfly = await startTestMayfly({ NATS_URL: nats.url, DATABASE_URL: 'memory://', REFUSAL_DELAY_MS: String(HOLD_MS) });
    listener = await serve(mayfly.app as never, 0, '127.0.0.1');
    url = `http://127.0.0.1:${listener.port}`;
  });
  afterAll(async () => {
    await listener?.close();
    await mayfly?.stop();
    await nats?.stop();
  });

  const timed = async (path: string, init?: RequestInit) => {
    const started = performance.now();
    const res = await fetch(`${url}${path}`, init);
    await res.text();
    return { status: res.status, ms: performance.now() - started, retryAfter: res.headers.get('retry-after') };
  };
  const app = { 'X-App-ID': 'paced.app', 'content-type': 'application/json' };

  it('holds the refusals of an address past its burst, never its successes, nor a procedure’s own 404', async () => {
    const held = async () => Number(/^mayfly_http_refusals_held_total (\d+)/m.exec(await (await fetch(`${url}/metrics`)).text())?.[1] ?? 0);
    const heldBefore = await held();
    // Junk paths, malformed bodies, unknown procedures: the burst is answered at once.
    const burst = [];
    for (let i = 0; i < REFUSAL_BURST; i++) {
      burst.push(await timed(i % 2 ? `/nowhere/${i}` : '/api/v1/drafts', { method: 'POST', headers: app, body: i % 2 ? '' : '{"content":' }));
    }
    expect(burst.every((r) => r.status === 404 || r.status === 400)).toBe(true);
    expect(await held()).toBe(heldBefore);

    // Past it (and what refilled meanwhile), refusals wait, with the same answer.
    let first: Awaited<ReturnType<typeof timed>> | undefined;
    for (let i = 0; i < 100 && !first; i++) {
      const r = await timed('/api/v1/drafts', { method: 'POST', headers: app, body: '{"content":' });
      if ((await held()) > heldBefore) first = r;
    }
    expect(first?.status).toBe(400);
    expect(first?.ms).toBeGreaterThanOrEqual(HOLD_MS - 20);

    // While two loops keep being refused, the same address's successes, and the 404 of a
    // draft that is not there, are answered as fast as ever.
    let stop = false;
    const loops = ['/trpc/no.such.procedure', '/nowhere'].map(async (path) => {
      const seen: Awaited<ReturnType<typeof timed>>[] = [];
      while (!stop) seen.push(await timed(path, { headers: app }));
      return seen;
    });
    const answered = [];
    for (let i = 0; i < 5; i++) {
      answered.push(await timed('/api/v1/drafts', { method: 'POST', headers: app, body: '{"content":"hello"}' }));
      answered.push(await timed('/api/v1/drafts/00000000-0000-4000-8000-000000000000', { headers: app }));
    }
    stop = true;
    const refused = (await Promise.all(loops)).flat();
    expect(answered.map((r) => r.status)).toEqual([201, 404, 201, 404, 201, 404, 201, 404, 201, 404]);
    expect(Math.max(...answered.map((r) => r.ms))).toBeLessThan(HOLD_MS);
    expect(refused.every((r) => r.status === 404)).toBe(true);
    expect(refused.filter((r) => r.ms >= HOLD_MS - 20).length).toBeGreaterThan(0);
    expect(await held()).toBeGreaterThanOrEqual(heldBefore + 1 + refused.filter((r) => r.ms >= HOLD_MS - 20).length);
  });

  it('slows a client that waits for its answers to about what its bucket refills', async () => {
    // Let the bucket refill, then loop on refusals for two seconds, one at a time.
    await new Promise((resolve) => setTimeout(resolve, 6_000));
    const until = performance.now() + 2_000;
    let sent = 0;
    while (performance.now() < until) {
      await timed(`/junk/${sent}`);
      sent += 1;
    }
    // At once: the burst and the refill (50 + 2 s x 10); then one per hold.
    expect(sent).toBeLessThan(REFUSAL_BURST + 20 + 2_000 / HOLD_MS + 10);
    expect(sent).toBeGreaterThan(REFUSAL_BURST);
  }, 20_000);
});
