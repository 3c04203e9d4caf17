import { createHash, timingSafeEqual } from 'node:crypto';
import { MayflyError } from '../platform/errors.ts';

const digest = (s: string) => createHash('sha256').update(s).digest();

/** The bearer token of an `Authorization` header, if it has one. */
export function bearer(authorization: string | undefined): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  return m?.[1];
}

/** Equal strings, compared in time that does not depend on where they differ. */
export function constantTimeEqual(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

/**
 * Admits the operator: 403 when the admin API is off (no ADMIN_TOKEN), 401 without the
 * right bearer token.
 */
export function checkAdminToken(adminToken: string | undefined, authorization: string | undefined): void {
  if (!adminToken) throw new MayflyError(403, 'FORBIDDEN', 'the admin API is disabled: set ADMIN_TOKEN to enable it');
  const given = bearer(authorization);
  if (!given || !constantTimeEqual(given, adminToken)) {
    throw new MayflyError(401, 'UNAUTHORIZED', 'admin procedures need Authorization: Bearer <ADMIN_TOKEN>');
  }
}
