import { appIdFromToken, deviceSubject, type AnyEvent, type DeviceEvent } from '@mayfly/contracts';
import { rowProjection, type RowKey } from '../../../../consumers/projection/row-projection.ts';

/** A registration as the table keeps it; `token` is null once APNs called it dead (a tombstone). */
export interface Registration {
  tenant: string;
  id: string;
  token: string | null;
  environment: 'sandbox' | 'production';
  bundle_id: string | null;
  created_at: string;
  expires_at: string;
  discarded_at: string | null;
  discard_reason: string | null;
  last_seq: number;
}

/**
 * A registration after an event. A discard turns the stored registration into a tombstone
 * without its token (notify then answers 410 Gone rather than 404); a discard of a
 * registration that is no longer stored leaves nothing.
 */
export function evolve(prev: Registration | null, event: DeviceEvent, seq: number): Registration | null {
  switch (event.type) {
    case 'device_token.registered':
      return {
        tenant: event.tenant,
        id: event.data.registration_id,
        token: event.data.token,
        environment: event.data.environment,
        bundle_id: event.data.bundle_id ?? null,
        created_at: event.occurred_at,
        expires_at: event.data.expires_at,
        discarded_at: null,
        discard_reason: null,
        last_seq: seq,
      };
    case 'device_token.discarded':
      return prev ? { ...prev, token: null, discarded_at: event.occurred_at, discard_reason: event.data.reason, last_seq: seq } : null;
    default: {
      const _never: never = event;
      return _never;
    }
  }
}

/** `ios.<tenant token>.<id>`: the registration a subject names. */
export function registrationOfSubject(subject: string): RowKey | undefined {
  const [prefix, token, id] = subject.split('.');
  return prefix === 'ios' && token && id ? { tenant: appIdFromToken(token), id } : undefined;
}

/**
 * The `device_registrations` projection, fed by the DEVICES stream. A dead token leaves the
 * table and the broker at once (its tombstone stays, its messages are purged); an expired
 * registration is not written.
 */
export const deviceRegistrationsProjection = rowProjection({
  name: 'device_registrations',
  stream: 'DEVICES',
  table: 'device_registrations',
  columns: {
    tenant: 'text',
    id: 'uuid',
    token: 'text',
    environment: 'text',
    bundle_id: 'text',
    created_at: 'timestamptz',
    expires_at: 'timestamptz',
    discarded_at: 'timestamptz',
    discard_reason: 'text',
    last_seq: 'bigint',
  },
  handles: (e: AnyEvent): e is DeviceEvent => e.type === 'device_token.registered' || e.type === 'device_token.discarded',
  idOf: (e) => e.data.registration_id,
  evolve,
  subject: deviceSubject,
  keyOfSubject: registrationOfSubject,
  readsStoredRows: true,
  purgeWhileKept: (r) => r.token === null,
});
