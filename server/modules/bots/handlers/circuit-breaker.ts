/**
 * Per-key circuit breaker: after `threshold` consecutive failures the key is refused for
 * `cooldownMs`, then one trial call is let through; a success closes it again.
 */
export class CircuitBreaker {
  readonly #state = new Map<string, { failures: number; openUntil: number; trial: boolean }>();

  constructor(
    private readonly threshold = 5,
    private readonly cooldownMs = 30_000,
    private readonly now: () => number = Date.now,
  ) {}

  allows(key: string): boolean {
    const s = this.#state.get(key);
    if (!s || s.failures < this.threshold) return true;
    if (this.now() < s.openUntil || s.trial) return false;
    s.trial = true; // half-open: one call decides
    return true;
  }

  succeeded(key: string): void {
    this.#state.delete(key);
  }

  failed(key: string): void {
    const s = this.#state.get(key) ?? { failures: 0, openUntil: 0, trial: false };
    s.failures += 1;
    s.trial = false;
    if (s.failures >= this.threshold) s.openUntil = this.now() + this.cooldownMs;
    this.#state.set(key, s);
  }
}
