import { circuitBreaker, ConsecutiveBreaker, handleType, type CircuitBreakerPolicy } from 'cockatiel';
import { TransientError } from './handler.ts';

export interface HostBreakerOptions {
  /** Consecutive transient failures that open a circuit. */
  threshold?: number;
  /** How long an open circuit refuses calls before one trial call decides. */
  cooldownMs?: number;
  /** Circuits kept at most (the least recently used go first). */
  max?: number;
}

/**
 * One circuit breaker per app and host: an app whose bot fails pauses only its own calls to
 * that host, never another app's. Only transient failures (5xx, 429, timeouts, lost
 * connections) count; a trial call that ends in anything else (a 4xx) closes the circuit.
 */
export class HostBreakers {
  readonly #breakers = new Map<string, CircuitBreakerPolicy>();
  readonly #threshold: number;
  readonly #cooldownMs: number;
  readonly #max: number;

  constructor(opts: HostBreakerOptions = {}) {
    this.#threshold = opts.threshold ?? 5;
    this.#cooldownMs = opts.cooldownMs ?? 30_000;
    this.#max = opts.max ?? 10_000;
  }

  /** Drops every circuit of `tenant` (the app was removed or purged). */
  forget(tenant: string): void {
    const prefix = `${tenant}\u0000`;
    for (const key of this.#breakers.keys()) if (key.startsWith(prefix)) this.#breakers.delete(key);
  }

  /** Whether any circuit of `tenant` is held. */
  holds(tenant: string): boolean {
    const prefix = `${tenant}\u0000`;
    for (const key of this.#breakers.keys()) if (key.startsWith(prefix)) return true;
    return false;
  }

  /** The circuit of `tenant`'s calls to `origin`. */
  for(tenant: string, origin: string): CircuitBreakerPolicy {
    const key = `${tenant}\u0000${origin}`;
    let breaker = this.#breakers.get(key);
    if (breaker) {
      this.#breakers.delete(key); // kept in least-recently-used order
    } else {
      breaker = circuitBreaker(handleType(TransientError), { halfOpenAfter: this.#cooldownMs, breaker: new ConsecutiveBreaker(this.#threshold) });
      if (this.#breakers.size >= this.#max) this.#breakers.delete(this.#breakers.keys().next().value!);
    }
    this.#breakers.set(key, breaker);
    return breaker;
  }
}
