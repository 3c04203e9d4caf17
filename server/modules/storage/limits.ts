import type { StorageUploadInput } from '@mayfly/contracts';
import type { Config } from '../../platform/config.ts';
import { MayflyError, invalidInput } from '../../platform/errors.ts';

/** A Content-Type's essence (`text/plain; charset=utf-8` -> `text/plain`), lower case. */
export function mediaType(contentType: string): string {
  return (contentType.split(';')[0] ?? '').trim().toLowerCase();
}

/** True when `contentType` is on the allowlist (exact types, or `type/*`). */
export function typeAllowed(allowed: readonly string[], contentType: string): boolean {
  const type = mediaType(contentType);
  return allowed.some((a) => a === type || (a.endsWith('/*') && type.startsWith(a.slice(0, -1))));
}

/**
 * Checks an upload request against the configured limits and returns the object's lifetime
 * in seconds: 413 over STORAGE_MAX_BYTES, 415 off STORAGE_ALLOWED_TYPES, 400 for a TTL
 * beyond STORAGE_OBJECT_TTL_SECONDS (the UPLOADS stream would forget the object first).
 */
export function checkUpload(config: Config, input: StorageUploadInput): number {
  const max = config.STORAGE_MAX_BYTES;
  if (input.content_length > max) {
    throw new MayflyError('PAYLOAD_TOO_LARGE', `content_length must be at most ${max} bytes`, { details: { max_bytes: max } });
  }
  if (!typeAllowed(config.STORAGE_ALLOWED_TYPES, input.content_type)) {
    throw new MayflyError('UNSUPPORTED_MEDIA_TYPE', `content_type ${mediaType(input.content_type)} is not accepted`, {
      details: { allowed_types: config.STORAGE_ALLOWED_TYPES },
    });
  }
  const maxTtl = config.STORAGE_OBJECT_TTL_SECONDS;
  const ttl = input.ttl_seconds ?? maxTtl;
  if (ttl > maxTtl) throw invalidInput(`ttl_seconds must be at most ${maxTtl}`, [{ path: 'ttl_seconds', message: `must be at most ${maxTtl}`, code: 'too_big' }]);
  return ttl;
}
