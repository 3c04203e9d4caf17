import { createHmac, timingSafeEqual } from 'node:crypto';

/** Crockford's base32: digits and upper-case letters without I, L, O and U. */
export const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

// 6 + 6 characters, 30 bits each. The id part is what tells sessions apart: 30 bits keep two
// sessions of one app from sharing a code (and merging their counts) until about 10^4-10^5
// sessions (birthday bound), where 25 bits would collide at a few thousand. The MAC part is
// what stops forgery: a guess succeeds once in 2^30 (10^9), and guessing is online only, one
// request per guess, each answered 422 (and rate-limited) without the secret.
const ID_CHARS = 6;
const MAC_CHARS = 6;

/** Length of a code in canonical form. */
export const CODE_LENGTH = ID_CHARS + MAC_CHARS;

const hmac = (key: Uint8Array, message: string) => createHmac('sha256', key).update(message, 'utf8').digest();

/** The per-tenant key ("salt"): HMAC(secret, "salt:" + tenant). One tenant's codes never verify for another. */
export function tenantKey(secret: Uint8Array, tenant: string): Buffer {
  return hmac(secret, `salt:${tenant}`);
}

/** The first 30 bits of `digest` as 6 characters of Crockford base32. */
function base32x6(digest: Buffer): string {
  const bits = digest.readUInt32BE(0) >>> 2;
  let out = '';
  for (let i = ID_CHARS - 1; i >= 0; i--) out += CROCKFORD[(bits >>> (5 * i)) & 31];
  return out;
}

const idPartOf = (key: Buffer, sessionId: string) => base32x6(hmac(key, `id:${sessionId}`));
const macOf = (key: Buffer, tenant: string, idPart: string) => base32x6(hmac(key, `mac:${tenant}:${idPart}`));

/**
 * The referral code of a session: deterministic for (secret, tenant, session id), stored
 * nowhere. The session id goes through HMAC, so the code does not reveal it.
 */
export function generateCode(secret: Uint8Array, tenant: string, sessionId: string): string {
  const key = tenantKey(secret, tenant);
  const idPart = idPartOf(key, sessionId);
  return idPart + macOf(key, tenant, idPart);
}

const CANONICAL = new RegExp(`^[${CROCKFORD}]{${CODE_LENGTH}}$`);

/**
 * A code as typed, in canonical form: upper case, hyphens and spaces dropped, Crockford's
 * ambiguous letters read as digits (O as 0, I and L as 1). Null when it can not be a code.
 */
export function normalizeCode(input: string): string | null {
  if (input.length > 64) return null;
  const code = input
    .toUpperCase()
    .replace(/[\s-]/g, '')
    .replaceAll('O', '0')
    .replace(/[IL]/g, '1');
  return CANONICAL.test(code) ? code : null;
}

/**
 * Checks a code against the tenant without storage: its MAC part must be the MAC of its id
 * part. Returns the canonical code, or null for anything forged, altered, truncated or
 * another tenant's. The MAC comparison is constant-time.
 */
export function verifyCode(secret: Uint8Array, tenant: string, input: string): string | null {
  const code = normalizeCode(input);
  if (code === null) return null;
  const idPart = code.slice(0, ID_CHARS);
  const expected = Buffer.from(macOf(tenantKey(secret, tenant), tenant, idPart), 'latin1');
  const given = Buffer.from(code.slice(ID_CHARS), 'latin1');
  return timingSafeEqual(expected, given) ? code : null;
}
