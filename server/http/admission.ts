import { MayflyError } from '../platform/errors.ts';
import { bearer, constantTimeEqual, hashAppKey } from '../platform/credentials.ts';
import type { TenantAdmission } from './tenant.ts';
import type { TenantRegistry } from '../../consumers/tenant-registry.ts';

/**
 * Registered tenancy: the app must be in the registry and present its key as a bearer token.
 * Unknown app and wrong key answer alike (401), so app ids can not be probed.
 */
export function registeredAdmission(registry: TenantRegistry, secretKey: Uint8Array): TenantAdmission {
  return {
    async admit(appId, authorization) {
      const record = registry.get(appId);
      const key = bearer(authorization);
      const given = key ? hashAppKey(secretKey, key) : '';
      // Compare even when the app is unknown: the answer takes the same time either way.
      const ok = constantTimeEqual(given, record?.keyHash ?? 'x'.repeat(64)) && record !== undefined && key !== undefined;
      if (!ok) throw new MayflyError('UNAUTHORIZED', 'unknown app or wrong key: send Authorization: Bearer <app key>');
    },
  };
}
