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

  it('reads NATS_STREAM_REPLICAS (default 1) and refuses anything but 1 to 5 copies', () => {
    expect(loadConfig({}).NATS_STREAM_REPLICAS).toBe(1);
    expect(loadConfig({ NATS_STREAM_REPLICAS: '3' }).NATS_STREAM_REPLICAS).toBe(3);
    for (const bad of ['0', '6', '2.5', 'three', '-1']) {
      expect(() => loadConfig({ NATS_STREAM_REPLICAS: bad })).toThrowError(
        `invalid configuration: NATS_STREAM_REPLICAS must be a whole number from 1 to 5 (${JSON.stringify(bad)})`,
      );
    }
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

  it('refuses an ADMIN_TOKEN shorter than 32 characters, naming it and not echoing it', () => {
    expect(() => loadConfig({ ADMIN_TOKEN: 'short-admin-token' })).toThrowError(/^invalid configuration: ADMIN_TOKEN must be at least 32 characters \(set\)$/);
    expect(loadConfig({ ADMIN_TOKEN: 'a'.repeat(32) }).ADMIN_TOKEN).toHaveLength(32);
  });

  it('reads TRUSTED_PROXIES as addresses and CIDR ranges, and refuses anything else', () => {
    expect(loadConfig({ TRUSTED_PROXIES: '10.0.0.0/8, 192.0.2.7,::1' }).TRUSTED_PROXIES).toEqual(['10.0.0.0/8', '192.0.2.7', '::1']);
    for (const bad of ['10.0.0.0/33', 'proxy.internal', '10.0.0.0/8;rm']) expect(() => loadConfig({ TRUSTED_PROXIES: bad })).toThrowError(/TRUSTED_PROXIES must be comma-separated addresses/);
  });

  it('refuses a METRICS_TOKEN shorter than 16 characters', () => {
    expect(() => loadConfig({ METRICS_TOKEN: 'tiny' })).toThrowError(/METRICS_TOKEN must be at least 16 characters/);
    expect(loadConfig({}).SSE_MAX_PER_APP).toBe(20);
  });
});
