import type { MiddlewareHandler } from 'hono';
import { AppId } from '@mayfly/contracts';
import type { TenantRegistry } from '../../../consumers/tenant-registry.ts';
import { bearer, constantTimeEqual, hashAppKey } from '../../platform/credentials.ts';
import { MayflyError } from '../../platform/errors.ts';
import '../variables.ts';

/** Decides whether an app may call the API, once its id is well-formed. */
export interface TenantAdmission {
  admit(appId: string, authorization: string | undefined): Promise<void>;
}

/** Open tenancy (the embedded default): any well-formed app id. */
export const openAdmission: TenantAdmission = { admit: async () => undefined };

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

/** Validates an app id (400 when missing or malformed) and admits it; returns the tenant. */
export async function resolveTenant(appId: string | undefined, authorization: string | undefined, admission: TenantAdmission): Promise<string> {
  if (appId === undefined || appId === '') throw new MayflyError('MISSING_APP_ID', 'the X-App-ID header is required');
  const parsed = AppId.safeParse(appId);
  if (!parsed.success) throw new MayflyError('INVALID_APP_ID', 'X-App-ID must be 1-64 characters of A-Z a-z 0-9 . _ -, starting and ending with a letter or digit');
  await admission.admit(parsed.data, authorization);
  return parsed.data;
}

/** tRPC connectionParams from the URL (a JSON object of strings), or none. */
export function connectionParams(raw: string | undefined): { app_id?: string; app_key?: string } {
  if (!raw || raw.length > 4_096) return {};
  try {
    const v: unknown = JSON.parse(raw);
    if (v === null || typeof v !== 'object') return {};
    const o = v as Record<string, unknown>;
    const str = (x: unknown) => (typeof x === 'string' ? x : undefined);
    return { app_id: str(o.app_id) ?? str(o['X-App-ID']), app_key: str(o.app_key) };
  } catch {
    return {};
  }
}

/**
 * Admits the calling app (`X-App-ID`, and in registered tenancy its key) and sets `tenant`.
 * Calls that are all admin procedures are the operator's, not an app's: they pass without one
 * (their own middleware checks the admin token). A browser's EventSource can not send
 * headers: its SSE subscription carries the app id and key in tRPC's `connectionParams`, in
 * the URL; headers win where both are present. Only a subscription may: a key in the URL of
 * any other call would end up in proxies' logs.
 */
export function tenantGate(admission: TenantAdmission, isSubscription: (procedure: string) => boolean = () => false): MiddlewareHandler {
  return async (c, next) => {
    const calls = c.get('calls');
    if (calls.length > 0 ? calls.every((p) => p.startsWith('admin.')) : c.req.path.startsWith('/api/v1/admin/')) return next();
    const header = c.req.header('x-app-id');
    const subscription = calls.length === 1 && isSubscription(calls[0]!);
    const params = header === undefined && subscription ? connectionParams(c.req.query('connectionParams')) : {};
    const authorization = c.req.header('authorization') ?? (params.app_key ? `Bearer ${params.app_key}` : undefined);
    c.set('tenant', await resolveTenant(header ?? params.app_id, authorization, admission));
    await next();
  };
}
