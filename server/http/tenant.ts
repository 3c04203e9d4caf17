import { AppId } from '@mayfly/contracts';
import { MayflyError } from '../platform/errors.ts';

/**
 * Decides whether an app may call the API. `open` tenancy admits any well-formed id;
 * registered tenancy (keys per app) plugs in here.
 */
export interface TenantAdmission {
  admit(appId: string, authorization: string | undefined): Promise<void>;
}

export const openAdmission: TenantAdmission = { admit: async () => undefined };

/** Validates `X-App-ID` (400 when missing or malformed) and returns the tenant. */
export async function resolveTenant(
  header: string | undefined,
  authorization: string | undefined,
  admission: TenantAdmission,
): Promise<string> {
  if (header === undefined || header === '') {
    throw new MayflyError('MISSING_APP_ID', 'the X-App-ID header is required');
  }
  const parsed = AppId.safeParse(header);
  if (!parsed.success) {
    throw new MayflyError('INVALID_APP_ID', 'X-App-ID must be 1-64 characters of A-Z a-z 0-9 . _ -');
  }
  await admission.admit(parsed.data, authorization);
  return parsed.data;
}
