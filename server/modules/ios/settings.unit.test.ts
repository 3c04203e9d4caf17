import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../platform/config.ts';
import { MayflyError } from '../../platform/errors.ts';
import { apnsSettings, storeKitSettings } from './settings.ts';

const base = { SECRET_KEY: 'x'.repeat(32) };

describe('iOS settings', () => {
  it('name every missing APNs variable in a 503', () => {
    const err = (() => {
      try {
        apnsSettings(loadConfig({ ...base, APNS_KEY_ID: 'ABC123DEFG' }));
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(MayflyError);
    expect(err).toMatchObject({ code: 'SERVICE_UNAVAILABLE', details: { missing: ['APNS_KEY_FILE', 'APNS_TEAM_ID'] } });
    expect((err as Error).message).toContain('APNS_KEY_FILE, APNS_TEAM_ID');
  });

  const server = { owner: 'server' } as const;

  it('need the app’s Apple ID for Production only', () => {
    const sandbox = loadConfig({ ...base, APPLE_ROOT_CERTS: 'a.der, b.der', APPLE_BUNDLE_ID: 'com.example.app', APPLE_ENVIRONMENT: 'Sandbox' });
    expect(storeKitSettings(sandbox, server)).toEqual({ rootCertFiles: ['a.der', 'b.der'], appAppleId: undefined, environments: ['Sandbox'] });
    const production = loadConfig({ ...base, APPLE_ROOT_CERTS: 'a.der', APPLE_BUNDLE_ID: 'com.example.app' });
    expect(() => storeKitSettings(production, server)).toThrow(/APPLE_APP_APPLE_ID/);
  });

  it('need APPLE_BUNDLE_ID only for apps without bundle ids of their own', () => {
    const config = loadConfig({ ...base, APPLE_ROOT_CERTS: 'a.der', APPLE_ENVIRONMENT: 'Sandbox' });
    expect(() => storeKitSettings(config, server)).toThrow(/APPLE_BUNDLE_ID/);
    expect(storeKitSettings(config, { owner: 'app', bundleIds: ['com.example.app'] }).rootCertFiles).toEqual(['a.der']);
  });

  it('refuse the unsigned Xcode and LocalTesting environments unless enabled, and always in production', () => {
    expect(() => loadConfig({ ...base, APPLE_ENVIRONMENT: 'Production,Xcode' })).toThrow(ConfigError);
    expect(loadConfig({ ...base, APPLE_ENVIRONMENT: 'Xcode', APPLE_ALLOW_XCODE_ENVIRONMENT: 'true' }).APPLE_ENVIRONMENT).toEqual(['Xcode']);
    expect(() => loadConfig({ ...base, NODE_ENV: 'production', TENANCY: 'open', APPLE_ENVIRONMENT: 'LocalTesting', APPLE_ALLOW_XCODE_ENVIRONMENT: 'true' })).toThrow(
      /APPLE_ENVIRONMENT must not include LocalTesting when NODE_ENV=production/,
    );
    expect(() => loadConfig({ ...base, APPLE_ENVIRONMENT: 'Staging' })).toThrow(/APPLE_ENVIRONMENT/);
    expect(() => loadConfig({ ...base, APNS_HOST: 'http://127.0.0.1:1' })).toThrow(/APNS_HOST/);
  });
});
