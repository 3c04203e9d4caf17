/**
 * How long one provider token is used. APNs accepts a token for an hour and answers
 * TooManyProviderTokenUpdates when it changes more often than every 20 minutes, so a token
 * is signed once and reused by every push for 40 minutes.
 */
export const PROVIDER_TOKEN_REFRESH_MS = 40 * 60_000;

export interface ProviderTokenDeps {
  /** The .p8 signing key (ES256, P-256), loaded on first use. */
  key: () => Promise<CryptoKey>;
  keyId: string;
  teamId: string;
  now: () => Date;
}

/** The APNs provider token (ES256 JWT: `kid`, `iss` = team, `iat`), signed once per period and shared. */
export class ProviderTokens {
  #current: { jwt: string; issuedAtMs: number } | undefined;
  #signing: Promise<string> | undefined;

  constructor(private readonly deps: ProviderTokenDeps) {}

  /** The token to send now: the cached one while it is fresh, else a new one (signed once, even under concurrency). */
  async get(): Promise<string> {
    const now = this.deps.now().getTime();
    if (this.#current && now - this.#current.issuedAtMs < PROVIDER_TOKEN_REFRESH_MS && now >= this.#current.issuedAtMs) {
      return this.#current.jwt;
    }
    this.#signing ??= this.#sign(now).finally(() => (this.#signing = undefined));
    return this.#signing;
  }

  /** Drops `jwt` after APNs called it expired, so the next `get` signs a new one. */
  invalidate(jwt: string): void {
    if (this.#current?.jwt === jwt) this.#current = undefined;
  }

  async #sign(nowMs: number): Promise<string> {
    // Loaded on first push: most deployments never push, and start-up should not pay for it.
    const { SignJWT } = await import('jose');
    const jwt = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: this.deps.keyId })
      .setIssuer(this.deps.teamId)
      .setIssuedAt(Math.floor(nowMs / 1000))
      .sign(await this.deps.key());
    this.#current = { jwt, issuedAtMs: nowMs };
    return jwt;
  }
}
