import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** A new app key: 32 random bytes, URL-safe, with a recognisable prefix (secret scanners find it). */
export function newAppKey(): string {
  return `mfk_${randomBytes(32).toString('base64url')}`;
}

/** The only form in which a key is stored: keyed with the server secret, so a leaked registry is no key list. */
export function hashAppKey(secretKey: Uint8Array, key: string): string {
  return createHmac('sha256', secretKey).update(`app-key:${key}`).digest('hex');
}

/** The bearer token of an `Authorization` value, if it has one. */
export function bearer(authorization: string | undefined): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  return m?.[1];
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Equal strings, compared in time that does not depend on where they differ. */
export function constantTimeEqual(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}
