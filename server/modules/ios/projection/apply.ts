import { appIdFromToken, deviceSubject, type DeviceEvent } from '@mayfly/contracts';
import { enqueuePurges } from '../../../../consumers/reconciler/expiring-table.ts';
import type { ProjectedEvent, Projection } from '../../../../consumers/projection/projection.ts';
import type { Queryable } from '../../../platform/db/database.ts';

/** A registration as the table keeps it; `token` is null once APNs called it dead. */
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

type Tombstone = Pick<Registration, 'tenant' | 'id' | 'discarded_at' | 'discard_reason' | 'last_seq'>;

/** What a batch does to one registration: write it whole, or turn a stored one into a tombstone. */
export type Change = { kind: 'put'; row: Registration } | { kind: 'discard'; tombstone: Tombstone };

/** The change after `event`, given the change the batch already holds for that registration. */
export function evolve(prev: Change | undefined, event: DeviceEvent, seq: number): Change {
  switch (event.type) {
    case 'device_token.registered':
      return {
        kind: 'put',
        row: {
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
        },
      };
    case 'device_token.discarded': {
      const tombstone: Tombstone = {
        tenant: event.tenant,
        id: event.data.registration_id,
        discarded_at: event.occurred_at,
        discard_reason: event.data.reason,
        last_seq: seq,
      };
      return prev?.kind === 'put' ? { kind: 'put', row: { ...prev.row, ...tombstone, token: null } } : { kind: 'discard', tombstone };
    }
    default: {
      const _never: never = event;
      return _never;
    }
  }
}

const isDeviceEvent = (e: ProjectedEvent['event']): e is DeviceEvent => e.type.startsWith('device_token.');

/**
 * Folds the batch to one change per registration and writes it in at most three statements.
 * A discarded token leaves the table and, through the purge queue, the broker at once; an
 * already expired registration is not written (and removed if present).
 */
async function apply(tx: Queryable, events: ProjectedEvent[], now: Date): Promise<void> {
  const changes = new Map<string, Change>();
  for (const { event, seq } of events) {
    if (!isDeviceEvent(event)) continue;
    const key = `${event.tenant}\u0000${event.data.registration_id}`;
    changes.set(key, evolve(changes.get(key), event, seq));
  }
  const keep: Registration[] = [];
  const drop: { tenant: string; id: string }[] = [];
  const tombstones: Tombstone[] = [];
  for (const c of changes.values()) {
    if (c.kind === 'discard') tombstones.push(c.tombstone);
    else if (Date.parse(c.row.expires_at) > now.getTime()) keep.push(c.row);
    else drop.push(c.row);
  }
  if (keep.length > 0) {
    await tx.query(
      `INSERT INTO device_registrations (tenant, id, token, environment, bundle_id, created_at, expires_at, discarded_at, discard_reason, last_seq)
       SELECT * FROM unnest($1::text[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::timestamptz[],
                            $8::timestamptz[], $9::text[], $10::bigint[])
       ON CONFLICT (tenant, id) DO UPDATE SET token = excluded.token, environment = excluded.environment,
         bundle_id = excluded.bundle_id, created_at = excluded.created_at, expires_at = excluded.expires_at,
         discarded_at = excluded.discarded_at, discard_reason = excluded.discard_reason, last_seq = excluded.last_seq`,
      [
        keep.map((r) => r.tenant),
        keep.map((r) => r.id),
        keep.map((r) => r.token),
        keep.map((r) => r.environment),
        keep.map((r) => r.bundle_id),
        keep.map((r) => r.created_at),
        keep.map((r) => r.expires_at),
        keep.map((r) => r.discarded_at),
        keep.map((r) => r.discard_reason),
        keep.map((r) => r.last_seq),
      ],
    );
  }
  if (tombstones.length > 0) {
    await tx.query(
      `UPDATE device_registrations d SET token = NULL, discarded_at = x.discarded_at, discard_reason = x.reason, last_seq = x.seq
       FROM unnest($1::text[], $2::uuid[], $3::timestamptz[], $4::text[], $5::bigint[]) AS x(tenant, id, discarded_at, reason, seq)
       WHERE d.tenant = x.tenant AND d.id = x.id`,
      [
        tombstones.map((t) => t.tenant),
        tombstones.map((t) => t.id),
        tombstones.map((t) => t.discarded_at),
        tombstones.map((t) => t.discard_reason),
        tombstones.map((t) => t.last_seq),
      ],
    );
  }
  if (drop.length > 0) await removeRegistrations(tx, drop);
  // A dead or expired token must not wait in the broker for the stream's max-age.
  const purge = [...drop, ...tombstones, ...keep.filter((r) => r.token === null)];
  await enqueuePurges(tx, 'DEVICES', purge.map((r) => deviceSubject(r.tenant, r.id)));
}

async function removeRegistrations(tx: Queryable, keys: { tenant: string; id: string }[]): Promise<void> {
  await tx.query(
    `DELETE FROM device_registrations d USING unnest($1::text[], $2::uuid[]) AS x(tenant, id)
     WHERE d.tenant = x.tenant AND d.id = x.id`,
    [keys.map((k) => k.tenant), keys.map((k) => k.id)],
  );
}

/** Delete markers (2.11+) name `ios.<tenant token>.<id>`: the registration's messages expired. */
async function forget(tx: Queryable, subjects: string[]): Promise<void> {
  const keys = subjects.flatMap((s) => {
    const [, token, id] = s.split('.');
    return token && id ? [{ tenant: appIdFromToken(token), id }] : [];
  });
  if (keys.length > 0) await removeRegistrations(tx, keys);
}

/** The `device_registrations` projection, fed by the DEVICES stream. */
export const deviceRegistrationsProjection: Projection = { name: 'device_registrations', stream: 'DEVICES', table: 'device_registrations', apply, forget };
