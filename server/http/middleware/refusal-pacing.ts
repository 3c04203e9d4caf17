import type { MiddlewareHandler } from 'hono';
import { clientAddress, type TrustedProxies } from './client-address.ts';
import { procedureLabel } from './request-log.ts';
import '../variables.ts';

/** Refusals a client address may have in a burst before its next ones are held. */
export const REFUSAL_BURST = 50;
/** Refusals per second a client address may have, sustained, before they are held. */
export const REFUSALS_PER_SECOND = 10;
/** Answers one instance holds at once; beyond, refusals are answered at once. */
export const HELD_MAX = 1_000;
/** Client addresses whose refusals are counted; beyond, the longest-quiet is forgotten. */
export const ADDRESSES_MAX = 10_000;
/** After this long without a refusal an address's bucket is full again, and it is forgotten. */
const REFILLED_MS = (REFUSAL_BURST / REFUSALS_PER_SECOND) * 1000;

/**
 * Counts refusals per client address in a token bucket ({@link REFUSAL_BURST} deep,
 * refilled at {@link REFUSALS_PER_SECOND}) and says how long to hold the next answer: 0 while
 * the address has refusals to spare, `holdMs` once it has none. State is bounded: at most
 * {@link ADDRESSES_MAX} addresses and {@link HELD_MAX} answers held at once, and an address is
 * kept only until its bucket has refilled (forgotten by the next request after that).
 */
export class RefusalPacer {
  readonly #buckets = new Map<string, { tokens: number; at: number }>();
  #held = 0;

  constructor(
    private readonly holdMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Forgets the addresses whose buckets have refilled: the Map is in order of last refusal. */
  forgetRefilled(now?: number): void {
    if (this.#buckets.size === 0) return;
    const t = now ?? this.now();
    for (const [address, b] of this.#buckets) {
      if (t - b.at < REFILLED_MS) return;
      this.#buckets.delete(address);
    }
  }

  /** Records a refusal of `address`; how many ms to hold its answer (0: answer now). */
  refused(address: string): number {
    const now = this.now();
    this.forgetRefilled(now);
    const b = this.#buckets.get(address);
    const tokens = b ? Math.min(REFUSAL_BURST, b.tokens + ((now - b.at) / 1000) * REFUSALS_PER_SECOND) : REFUSAL_BURST;
    // Re-inserted, so the Map's order is the order of last refusal and the first key the longest quiet.
    this.#buckets.delete(address);
    if (this.#buckets.size >= ADDRESSES_MAX) this.#buckets.delete(this.#buckets.keys().next().value!);
    this.#buckets.set(address, { tokens: Math.max(0, tokens - 1), at: now });
    return tokens >= 1 || this.#held >= HELD_MAX ? 0 : this.holdMs;
  }

  /** Holds an answer for `ms`, counted against {@link HELD_MAX} meanwhile. */
  async hold(ms: number): Promise<void> {
    this.#held += 1;
    try {
      await new Promise((resolve) => setTimeout(resolve, ms));
    } finally {
      this.#held -= 1;
    }
  }

  /** Answers held right now. */
  get held(): number {
    return this.#held;
  }

  /** Client addresses being counted. */
  get addresses(): number {
    return this.#buckets.size;
  }
}

/**
 * Whether an answer refuses the request as the client's own fault, one it could stop making:
 * malformed (400), unauthenticated or forbidden (401, 403), no such route (404 outside the
 * API's procedures; a procedure's own 404, a draft that expired, is an answer), wrong method
 * (405), too large (413, 414, 431), over its rate limit (429).
 */
function isRefusal(status: number, c: Parameters<MiddlewareHandler>[0], procedures: ReadonlySet<string>): boolean {
  if (status === 404) return procedureLabel(c, procedures) === 'other';
  return status === 400 || status === 401 || status === 403 || status === 405 || status === 413 || status === 414 || status === 429 || status === 431;
}

/**
 * Paces the refusals of a client that keeps sending what it is refused: once a client address
 * has spent its burst of refusals, each further refusal is answered only after `holdMs`. What
 * the service gives is unchanged (the same status, body and headers, later); a client that
 * waits for its answers, as SDKs and retry loops do, is slowed to about
 * {@link REFUSALS_PER_SECOND} plus one request per connection per `holdMs`, so its refused
 * requests stop taking the event loop from other apps. Only refusals are held: the address's
 * successful requests, and other clients behind the same address that are not refused, are
 * answered as ever.
 */
export function refusalPacing(opts: { pacer: RefusalPacer; procedures: ReadonlySet<string>; trustedProxies: TrustedProxies; onHeld?: () => void }): MiddlewareHandler {
  return async (c, next) => {
    await next();
    if (!isRefusal(c.res.status, c, opts.procedures)) return opts.pacer.forgetRefilled();
    const ms = opts.pacer.refused(clientAddress(c, opts.trustedProxies));
    if (ms === 0) return;
    opts.onHeld?.();
    await opts.pacer.hold(ms);
  };
}
