import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../platform/config.ts';
import { ERROR_STATUS } from '@mayfly/contracts';
import { MayflyError } from '../../platform/errors.ts';
import { checkUpload, mediaType, typeAllowed } from './limits.ts';

const statusOf = (f: () => unknown) => {
  try {
    f();
    return 'ok';
  } catch (err) {
    return err instanceof MayflyError ? `${ERROR_STATUS[err.code]} ${err.code}` : 'other';
  }
};

describe('upload limits', () => {
  it('matches types by their essence, exactly or by type/*', () => {
    expect(mediaType('Text/Plain; charset=utf-8')).toBe('text/plain');
    expect(typeAllowed(['text/plain'], 'text/plain; charset=utf-8')).toBe(true);
    expect(typeAllowed(['image/*'], 'image/heic')).toBe(true);
    expect(typeAllowed(['image/*'], 'imagex/heic')).toBe(false);
    expect(typeAllowed(['image/png'], 'image/pngx')).toBe(false);
  });

  it('answers 413 over the size limit, 415 off the allowlist, 400 VALIDATION_FAILED over the TTL limit, else the TTL', () => {
    const config = loadConfig({ STORAGE_MAX_BYTES: '100', STORAGE_OBJECT_TTL_SECONDS: '600' });
    expect(statusOf(() => checkUpload(config, { content_type: 'image/png', content_length: 101 }))).toBe('413 PAYLOAD_TOO_LARGE');
    expect(statusOf(() => checkUpload(config, { content_type: 'text/html', content_length: 1 }))).toBe('415 UNSUPPORTED_MEDIA_TYPE');
    expect(statusOf(() => checkUpload(config, { content_type: 'image/svg+xml', content_length: 1 }))).toBe('415 UNSUPPORTED_MEDIA_TYPE');
    expect(statusOf(() => checkUpload(config, { content_type: 'image/png', content_length: 1, ttl_seconds: 601 }))).toBe('400 VALIDATION_FAILED');
    expect(checkUpload(config, { content_type: 'image/png', content_length: 100 })).toBe(600);
    expect(checkUpload(config, { content_type: 'image/png', content_length: 0, ttl_seconds: 5 })).toBe(5);
  });
});
