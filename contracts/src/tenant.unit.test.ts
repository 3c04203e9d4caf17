import { describe, expect, it } from 'vitest';
import { AppId, appIdFromToken, LegacyAppId, tenantToken } from './tenant.ts';

describe('tenant tokens in subjects', () => {
  it('never contain a subject separator or wildcard', () => {
    for (const id of ['app', 'com.example.app', 'a.b.c', 'x_y-z', '...']) {
      expect(tenantToken(id)).not.toMatch(/[.*> ]/);
      expect(appIdFromToken(tenantToken(id))).toBe(id);
    }
  });

  it('keeps app and app.x apart', () => {
    expect(tenantToken('app')).not.toBe(tenantToken('app.x'));
    expect(`drafts.${tenantToken('app.x')}.1`.split('.')[1]).toBe('app~x');
  });

  it('accepts only 1-64 chars of [A-Za-z0-9._-] as an app id', () => {
    expect(AppId.safeParse('com.example.app').success).toBe(true);
    for (const bad of ['', 'a'.repeat(65), 'a b', 'a*', 'a>', 'ü', 'a\u0000']) expect(AppId.safeParse(bad).success).toBe(false);
  });

  it('takes only app ids that start and end with a letter or digit; the former rule stays for naming old apps', () => {
    for (const good of ['a', '7', 'com.example.app', 'my-app_2', 'a'.repeat(64)]) expect([good, AppId.safeParse(good).success]).toEqual([good, true]);
    for (const bad of ['.', '..', '-', '.app', 'app.', '-app', 'app-', '_app', 'app_']) {
      expect([bad, AppId.safeParse(bad).success]).toEqual([bad, false]);
      expect([bad, LegacyAppId.safeParse(bad).success]).toEqual([bad, true]);
    }
  });
});
