import { describe, expect, it } from 'vitest';
import { generateKeyPair, jwtVerify, decodeProtectedHeader } from 'jose';
import { PROVIDER_TOKEN_REFRESH_MS, ProviderTokens } from './provider-token.ts';

async function setup() {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  let now = new Date('2026-03-01T12:00:00Z');
  let signed = 0;
  const tokens = new ProviderTokens({
    key: async () => {
      signed += 1;
      return privateKey;
    },
    keyId: 'ABC123DEFG',
    teamId: 'TEAM123456',
    now: () => now,
  });
  return { tokens, publicKey, signed: () => signed, advance: (ms: number) => (now = new Date(now.getTime() + ms)) };
}

describe('APNs provider tokens', () => {
  it('are ES256 JWTs with kid, iss = team and iat', async () => {
    const { tokens, publicKey } = await setup();
    const jwt = await tokens.get();
    expect(decodeProtectedHeader(jwt)).toEqual({ alg: 'ES256', kid: 'ABC123DEFG' });
    const { payload } = await jwtVerify(jwt, publicKey, { issuer: 'TEAM123456', currentDate: new Date('2026-03-01T12:00:00Z') });
    expect(payload).toEqual({ iss: 'TEAM123456', iat: Date.parse('2026-03-01T12:00:00Z') / 1000 });
  });

  it('are signed once and reused, concurrent callers included, until the refresh period ends', async () => {
    const { tokens, signed, advance } = await setup();
    const [a, b, c] = await Promise.all([tokens.get(), tokens.get(), tokens.get()]);
    expect(new Set([a, b, c]).size).toBe(1);
    expect(signed()).toBe(1);
    advance(PROVIDER_TOKEN_REFRESH_MS - 1_000);
    expect(await tokens.get()).toBe(a);
    advance(1_000);
    expect(await tokens.get()).not.toBe(a);
    expect(PROVIDER_TOKEN_REFRESH_MS).toBeGreaterThanOrEqual(20 * 60_000);
    expect(PROVIDER_TOKEN_REFRESH_MS).toBeLessThanOrEqual(50 * 60_000);
  });

  it('are re-signed after APNs calls the current one expired, and not for an older one', async () => {
    const { tokens } = await setup();
    const first = await tokens.get();
    tokens.invalidate('some-older-token');
    expect(await tokens.get()).toBe(first);
    tokens.invalidate(first);
    expect(await tokens.get()).not.toBe(first);
  });
});
