import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash, randomUUID } from 'node:crypto';

const seeds = new AsyncLocalStorage<{ seed: string; n: number }>();

/**
 * Runs `fn` so that every id it makes with {@link newId} is derived from `seed` (in order):
 * a request retried under the same Idempotency-Key publishes events with the same ids, and
 * JetStream's msgID dedup turns the second publish into a no-op even if the first response
 * was lost.
 */
export function withIdSeed<T>(seed: string, fn: () => Promise<T>): Promise<T> {
  return seeds.run({ seed, n: 0 }, fn);
}

/** A new UUID: random, or derived from the request's idempotency seed. */
export function newId(): string {
  const s = seeds.getStore();
  if (!s) return randomUUID();
  const h = createHash('sha256').update(`${s.seed}:${s.n++}`).digest();
  h[6] = (h[6]! & 0x0f) | 0x40; // a v4-shaped UUID
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}
