import { z } from 'zod';

/** An app id as sent in `X-App-ID`: 1-64 chars of `[A-Za-z0-9._-]` (bundle ids fit). */
export const AppId = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9._-]+$/, 'must be 1-64 characters of A-Z a-z 0-9 . _ -');
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
