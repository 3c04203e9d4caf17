import { createHmac, randomBytes } from 'node:crypto';

/** A new app key: 32 random bytes, URL-safe, with a recognisable prefix (secret scanners find it). */
export function newAppKey(): string {
  return `mfk_${randomBytes(32).toString('base64url')}`;
}

/** The only form in which a key is stored: keyed with the server secret, so a leaked registry is no key list. */
export function hashAppKey(secretKey: Uint8Array, key: string): string {
  return createHmac('sha256', secretKey).update(`app-key:${key}`).digest('hex');
}
