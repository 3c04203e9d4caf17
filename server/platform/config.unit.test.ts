import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.ts';

describe('configuration', () => {
  it('has the documented defaults', () => {
    const c = loadConfig({});
    expect(c.PORT).toBe(8000);
    expect(c.DATA_DIR).toBe('./.data');
    expect(c.TENANCY).toBe('open');
    expect(c.DRAFT_MAX_TTL_SECONDS).toBe(604_800);
    expect(c.BODY_LIMIT_BYTES).toBe(1_048_576);
    expect(c.DATABASE_URL).toBeUndefined();
  });

  it('defaults to registered tenancy in production', () => {
    expect(loadConfig({ NODE_ENV: 'production', SECRET_KEY: 'k'.repeat(32) }).TENANCY).toBe('registered');
  });

  it('stops on an invalid value with one line naming the variable', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrowError(ConfigError);
    try {
      loadConfig({ PORT: 'eighty' });
    } catch (err) {
      expect((err as Error).message).toMatch(/^invalid configuration: PORT .*"eighty"/);
      expect((err as Error).message).not.toContain('\n');
    }
  });

  it('requires SECRET_KEY in production and never echoes secrets', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrowError(/SECRET_KEY is required/);
    expect(() => loadConfig({ SECRET_KEY: 'short-secret' })).toThrowError(/SECRET_KEY.*\(set\)$/);
  });
});
