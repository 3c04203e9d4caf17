import type { Config } from '../../platform/config.ts';
import { MayflyError } from '../../platform/errors.ts';
import type { AppleIdentity } from './identity.ts';

/** What APNs token auth needs, all present. */
export interface ApnsSettings {
  keyFile: string;
  keyId: string;
  teamId: string;
  /** Default topic for registrations made without a bundle id. */
  topic: string | undefined;
  /** Overrides both gateways (tests: `https://127.0.0.1:PORT`). */
  host: string | undefined;
  caFile: string | undefined;
}

/** What offline StoreKit verification needs, all present (the bundle ids come from the app: identity.ts). */
export interface StoreKitSettings {
  rootCertFiles: string[];
  appAppleId: number | undefined;
  environments: Config['APPLE_ENVIRONMENT'];
}

/** A 503 naming the settings to set. Not retryable by waiting, so no Retry-After. */
export function notConfigured(feature: string, missing: string[]): MayflyError {
  return new MayflyError('SERVICE_UNAVAILABLE', `${feature} is not configured on this server: set ${missing.join(', ')}`, {
    details: { missing },
  });
}

/** The APNs settings, or a 503 naming every one that is missing. */
export function apnsSettings(config: Config): ApnsSettings {
  const { APNS_KEY_FILE: keyFile, APNS_KEY_ID: keyId, APNS_TEAM_ID: teamId } = config;
  if (!keyFile || !keyId || !teamId) {
    const missing = Object.entries({ APNS_KEY_FILE: keyFile, APNS_KEY_ID: keyId, APNS_TEAM_ID: teamId }).filter(([, v]) => !v);
    throw notConfigured('iOS push', missing.map(([k]) => k));
  }
  return { keyFile, keyId, teamId, topic: config.APNS_TOPIC, host: config.APNS_HOST, caFile: config.APNS_CA_FILE };
}

/**
 * The StoreKit settings, or a 503 naming every one that is missing: `APPLE_BUNDLE_ID` too when
 * the app has no bundle ids of its own (`identity` server: an app the registry does not know).
 */
export function storeKitSettings(config: Config, identity: AppleIdentity): StoreKitSettings {
  const missing: string[] = [];
  const rootCertFiles = (config.APPLE_ROOT_CERTS ?? '').split(',').map((f) => f.trim()).filter(Boolean);
  if (rootCertFiles.length === 0) missing.push('APPLE_ROOT_CERTS');
  if (identity.owner === 'server' && !config.APPLE_BUNDLE_ID) missing.push('APPLE_BUNDLE_ID');
  // The library's verifier refuses to be built for Production without the app's Apple ID.
  if (config.APPLE_ENVIRONMENT.includes('Production') && !config.APPLE_APP_APPLE_ID) missing.push('APPLE_APP_APPLE_ID');
  if (missing.length > 0) throw notConfigured('StoreKit verification', missing);
  return {
    rootCertFiles,
    appAppleId: config.APPLE_APP_APPLE_ID === undefined ? undefined : Number(config.APPLE_APP_APPLE_ID),
    environments: config.APPLE_ENVIRONMENT,
  };
}
