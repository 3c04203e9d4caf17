import { describe, expect, it } from 'vitest';
import { lifecycleDays, withMayflyRule } from './lifecycle.ts';
import { MAX_URL_SECONDS, urlSeconds } from './presign.ts';

describe('bucket lifecycle rule', () => {
  it('expires after the TTL in whole days, plus one', () => {
    expect(lifecycleDays(1)).toBe(2);
    expect(lifecycleDays(86_400)).toBe(2);
    expect(lifecycleDays(86_401)).toBe(3);
    expect(lifecycleDays(604_800)).toBe(8);
  });

  it('replaces its own older rule and keeps the bucket’s others', () => {
    const rules = withMayflyRule(
      [
        { ID: 'logs', Status: 'Enabled', Filter: { Prefix: 'logs/' }, Expiration: { Days: 30 } },
        { ID: 'mayfly-object-ttl', Status: 'Enabled', Filter: { Prefix: 't/' }, Expiration: { Days: 9 } },
      ],
      2,
    );
    expect(rules.map((r) => [r.ID, r.Filter?.Prefix, r.Expiration?.Days])).toEqual([
      ['logs', 'logs/', 30],
      ['mayfly-object-ttl', 't/', 2],
    ]);
  });
});

describe('presigned URL lifetime', () => {
  it('is at most 15 minutes, never past the object, and at least one second', () => {
    const now = new Date('2026-03-01T12:00:00Z');
    const at = (s: number) => new Date(now.getTime() + s * 1000);
    expect(urlSeconds(now, at(86_400))).toBe(MAX_URL_SECONDS);
    expect(urlSeconds(now, at(120.9))).toBe(120);
    expect(urlSeconds(now, at(0.2))).toBe(1);
    expect(urlSeconds(now, at(-5))).toBe(1);
  });
});
