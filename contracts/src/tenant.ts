import { z } from 'zod';

/**
 * Any app id Mayfly has ever accepted: 1-64 chars of `[A-Za-z0-9._-]`. Events carry these, and
 * an operator can still name such an app to remove or purge it; no new app gets one.
 */
export const LegacyAppId = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9._-]+$/, 'must be 1-64 characters of A-Z a-z 0-9 . _ -');

/**
 * An app id as sent in `X-App-ID` and registered: 1-64 chars of `[A-Za-z0-9._-]` that start
 * and end with a letter or digit (bundle ids fit; `..`, `.app` or `app-` do not).
 */
export const AppId = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/, 'must be 1-64 characters of A-Z a-z 0-9 . _ -, starting and ending with a letter or digit');
export type AppId = z.infer<typeof AppId>;

/**
 * The subject token for a tenant. NATS uses `.` as the token separator, so a raw app id such
 * as `com.example.app` would span three tokens and `drafts.app.>` would match `app.x`'s
 * subjects. `~` is outside the app-id alphabet and legal in subjects, so replacing `.` with
 * it is injective and keeps the token readable.
 */
export function tenantToken(appId: string): string {
  return appId.replaceAll('.', '~');
}

/** Inverse of {@link tenantToken}. */
export function appIdFromToken(token: string): string {
  return token.replaceAll('~', '.');
}
