import type { ApnsEnvironment } from '@mayfly/contracts';
import type { Queryable } from '../../../platform/db/database.ts';

/** A live registration, or the tombstone of one APNs called dead. */
export type FoundRegistration =
  | { state: 'live'; token: string; environment: ApnsEnvironment; bundleId: string | null; expiresAt: Date }
  | { state: 'discarded'; reason: string | null };

interface Row {
  token: string | null;
  environment: ApnsEnvironment;
  bundle_id: string | null;
  expires_at: Date;
  discard_reason: string | null;
}

/** The registration `id` of `tenant` if it has not expired, or null. */
export async function findRegistration(q: Queryable, tenant: string, id: string, now: Date): Promise<FoundRegistration | null> {
  const rows = await q.query<Row>(
    `SELECT token, environment, bundle_id, expires_at, discard_reason FROM device_registrations
     WHERE tenant = $1 AND id = $2 AND expires_at > $3`,
    [tenant, id, now.toISOString()],
  );
  const r = rows[0];
  if (!r) return null;
  if (r.token === null) return { state: 'discarded', reason: r.discard_reason };
  return { state: 'live', token: r.token, environment: r.environment, bundleId: r.bundle_id, expiresAt: r.expires_at };
}
