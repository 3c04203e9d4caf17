import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash, randomUUID } from 'node:crypto';

/** What one idempotent piece of work (a request under an Idempotency-Key, a bot task) carries along. */
interface Scope {
  seed: string;
  n: number;
  /** The items it published events about (see {@link itemOf}). */
  items: Set<string>;
}

const scopes = new AsyncLocalStorage<Scope>();

/**
 * Runs `fn` so that every id it makes with {@link newId} is derived from `seed` (in order):
 * a request retried under the same Idempotency-Key publishes events with the same ids, and
 * JetStream's msgID dedup turns the second publish into a no-op even if the first response
 * was lost. Resolves with `fn`'s result and the items it published events about.
 */
export async function withIdSeed<T>(seed: string, fn: () => Promise<T>): Promise<{ value: T; items: string[] }> {
  const scope: Scope = { seed, n: 0, items: new Set() };
  const value = await scopes.run(scope, fn);
  return { value, items: [...scope.items] };
}

/** A new UUID: random, or derived from the request's idempotency seed. */
export function newId(): string {
  const s = scopes.getStore();
  if (!s) return randomUUID();
  const h = createHash('sha256').update(`${s.seed}:${s.n++}`).digest();
  h[6] = (h[6]! & 0x0f) | 0x40; // a v4-shaped UUID
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

/**
 * The item a subject is about: its first three tokens, `<prefix>.<tenant token>.<id>`
 * (`bots.<t>.<task>.completed` is about `bots.<t>.<task>`). What an idempotent response is
 * tied to, so that it goes when its item goes.
 */
export function itemOf(subject: string): string {
  return subject.split('.', 3).join('.');
}

/** Notes that the current piece of work published an event on `subject` (no-op outside one). */
export function notePublished(subject: string): void {
  scopes.getStore()?.items.add(itemOf(subject));
}
