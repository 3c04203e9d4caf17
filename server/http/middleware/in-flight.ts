import type { MiddlewareHandler } from 'hono';
import { unavailable } from '../../platform/errors.ts';

/**
 * The requests an instance is handling, so that stopping it waits for them before the database
 * and the broker close under them. A request cut off half way would leave what it holds behind:
 * an `Idempotency-Key` it claimed stays "in progress" (a retry on another instance answers 409
 * until the claim goes stale) and its answer is never given. Once stopping has begun, new
 * requests are answered 503 with `Retry-After`, so a client retries them elsewhere.
 */
export class InFlightRequests {
  #count = 0;
  #stopping = false;
  #idle: (() => void)[] = [];

  /** The edge's first middleware: counts a request from its start until its response is ready. */
  middleware(): MiddlewareHandler {
    return async (_c, next) => {
      if (this.#stopping) throw unavailable('this instance is stopping; try again');
      this.#count += 1;
      try {
        await next();
      } finally {
        this.#count -= 1;
        if (this.#count === 0) for (const resolve of this.#idle.splice(0)) resolve();
      }
    };
  }

  /** Requests being handled right now. */
  get count(): number {
    return this.#count;
  }

  /**
   * Refuses new requests from now on and waits until none is being handled, at most
   * `timeoutMs`; how many were still running when it gave up (0: all finished).
   */
  async settle(timeoutMs: number): Promise<number> {
    this.#stopping = true;
    if (this.#count === 0) return 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      new Promise<void>((resolve) => this.#idle.push(resolve)),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    return this.#count;
  }
}
