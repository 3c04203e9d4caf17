import { appIdFromToken, objectKey, uploadSubject, type StorageEvent } from '@mayfly/contracts';
import { enqueuePurges } from '../../../../consumers/reconciler/expiring-table.ts';
import type { ProjectedEvent, Projection } from '../../../../consumers/projection/projection.ts';
import type { Queryable } from '../../../platform/db/database.ts';
import { enqueueObjectDeletions } from '../object-deletions.ts';

/** A row of `uploads`. */
export interface UploadRow {
  tenant: string;
  id: string;
  key: string;
  expires_at: string;
  last_seq: number;
}

/** An upload's row after an event. */
export function evolve(event: StorageEvent, seq: number): UploadRow {
  switch (event.type) {
    case 'upload.issued':
      return { tenant: event.tenant, id: event.data.upload_id, key: event.data.key, expires_at: event.data.expires_at, last_seq: seq };
    default: {
      // On `type`: a one-member union does not narrow the event itself.
      const _never: never = event.type;
      return _never;
    }
  }
}

const isStorageEvent = (e: ProjectedEvent['event']): e is StorageEvent => e.type === 'upload.issued';

/**
 * Upserts the batch's uploads with one UNNEST statement. One that has already expired (a
 * replay, or a projection far behind) is not written: its object is queued for deletion and
 * its message for purging at once, since its upload URL may have been used.
 */
async function apply(tx: Queryable, events: ProjectedEvent[], now: Date): Promise<void> {
  const finals = new Map<string, UploadRow>();
  for (const { event, seq } of events) {
    if (isStorageEvent(event)) finals.set(`${event.tenant}\u0000${event.data.upload_id}`, evolve(event, seq));
  }
  const rows = [...finals.values()];
  const keep = rows.filter((r) => Date.parse(r.expires_at) > now.getTime());
  const expired = rows.filter((r) => Date.parse(r.expires_at) <= now.getTime());
  if (keep.length > 0) {
    await tx.query(
      `INSERT INTO uploads (tenant, id, key, expires_at, last_seq)
       SELECT * FROM unnest($1::text[], $2::uuid[], $3::text[], $4::timestamptz[], $5::bigint[])
       ON CONFLICT (tenant, id) DO UPDATE SET key = excluded.key, expires_at = excluded.expires_at, last_seq = excluded.last_seq`,
      [keep.map((r) => r.tenant), keep.map((r) => r.id), keep.map((r) => r.key), keep.map((r) => r.expires_at), keep.map((r) => r.last_seq)],
    );
  }
  if (expired.length > 0) {
    await removeUploads(tx, expired);
    await enqueueObjectDeletions(tx, expired.map((r) => r.key));
    await enqueuePurges(tx, 'UPLOADS', expired.map((r) => uploadSubject(r.tenant, r.id)));
  }
}

async function removeUploads(tx: Queryable, keys: { tenant: string; id: string }[]): Promise<void> {
  await tx.query(
    `DELETE FROM uploads u USING unnest($1::text[], $2::uuid[]) AS x(tenant, id) WHERE u.tenant = x.tenant AND u.id = x.id`,
    [keys.map((k) => k.tenant), keys.map((k) => k.id)],
  );
}

/** Delete markers (2.11+) name `storage.<tenant token>.<upload id>`: the upload expired, and so does its object. */
async function forget(tx: Queryable, subjects: string[]): Promise<void> {
  const keys = subjects.flatMap((s) => {
    const [, token, id] = s.split('.');
    return token && id ? [{ tenant: appIdFromToken(token), id }] : [];
  });
  if (keys.length === 0) return;
  await removeUploads(tx, keys);
  await enqueueObjectDeletions(tx, keys.map((k) => objectKey(k.tenant, k.id)));
}

/** Queues the objects of upload rows the reconciler removed (the `onRemoved` hook of `uploads`). */
export async function onUploadsRemoved(tx: Queryable, rows: { tenant: string; id: string }[]): Promise<void> {
  await enqueueObjectDeletions(tx, rows.map((r) => objectKey(r.tenant, r.id)));
}

/** The `uploads` projection, fed by the UPLOADS stream. */
export const uploadsProjection: Projection = { name: 'uploads', stream: 'UPLOADS', table: 'uploads', apply, forget };
