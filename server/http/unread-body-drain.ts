import type { IncomingMessage, ServerResponse } from 'node:http';

/** Bytes of unread request bodies one instance reads off the wire per second, all connections together. */
export const UNREAD_BODY_BYTES_PER_SECOND = 16 * 1024 * 1024;
/** A paused drain resumes once this much of the budget has come back: pauses every ~1 MB, not every chunk. */
const RESUME_AT_BYTES = 1024 * 1024;
/** A body still arriving after this long has its connection closed. */
const MAX_DRAIN_MS = 10_000;

/**
 * Reads the rest of a request body that was answered without being read (a 413 decided from
 * `Content-Length`, a 429, a 401), at a rate shared by every connection of the instance.
 *
 * Node reads such a body off the wire at full speed once the response is sent, so that the
 * connection can carry the next request; a client sending oversized bodies in a loop on a fast
 * link then has the event loop copy hundreds of MB a second, and every other app waits behind
 * it. Closing the connection instead is no cure: clients still writing their body see a reset
 * instead of the answer. So the body is still read, and the connection kept, but slowly: the
 * sender is held back by TCP's own flow control while the drain is paused.
 */
export class UnreadBodyDrain {
  #tokens: number;
  #refilled: number;

  constructor(
    private readonly bytesPerSecond = UNREAD_BODY_BYTES_PER_SECOND,
    private readonly now: () => number = Date.now,
  ) {
    this.#tokens = bytesPerSecond;
    this.#refilled = now();
  }

  /** Watches one request: if its response finishes while its body is still arriving, drains it. */
  watch(req: IncomingMessage, res: ServerResponse): void {
    // 'prefinish' comes before Node's own clean-up on 'finish', which would read at full speed.
    res.once('prefinish', () => {
      if (!req.complete && !req.readableFlowing && !req.destroyed) this.#drain(req);
    });
  }

  #drain(req: IncomingMessage): void {
    const deadline = setTimeout(() => req.socket.destroy(), MAX_DRAIN_MS);
    deadline.unref();
    req.once('end', () => clearTimeout(deadline));
    req.once('close', () => clearTimeout(deadline));
    req.on('data', (chunk: Buffer) => {
      const waitMs = this.#take(chunk.length);
      if (waitMs > 0) {
        req.pause();
        setTimeout(() => req.resume(), waitMs).unref();
      }
    });
  }

  /** Takes `bytes` from the shared budget; how long to pause when it is overdrawn. */
  #take(bytes: number): number {
    const now = this.now();
    this.#tokens = Math.min(this.bytesPerSecond, this.#tokens + ((now - this.#refilled) * this.bytesPerSecond) / 1000);
    this.#refilled = now;
    this.#tokens -= bytes;
    return this.#tokens >= 0 ? 0 : Math.ceil(((RESUME_AT_BYTES - this.#tokens) * 1000) / this.bytesPerSecond);
  }
}
