import { appIdFromToken, objectKey, uploadSubject, type AnyEvent, type StorageEvent } from '@mayfly/contracts';
import { rowProjection, type RowKey } from '../../../../consumers/projection/row-projection.ts';
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
export function evolve(_prev: UploadRow | null, event: StorageEvent, seq: number): UploadRow {
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

/** `storage.<tenant token>.<upload id>`: the upload a subject names. */
export function uploadOfSubject(subject: string): RowKey | undefined {
  const [prefix, token, id] = subject.split('.');
  return prefix === 'storage' && token && id ? { tenant: appIdFromToken(token), id } : undefined;
}

/** Queues the objects of uploads that are gone (their URL may have been used: the object may exist). */
export async function onUploadsRemoved(tx: Queryable, rows: RowKey[]): Promise<void> {
  await enqueueObjectDeletions(tx, rows.map((r) => objectKey(r.tenant, r.id)));
}

/**
 * The `uploads` projection, fed by the UPLOADS stream. An upload that has already expired (a
 * replay, or a projection far behind) is not written: its object is queued for deletion and
 * its message for purging at once, and so is one whose messages the broker dropped.
 */
export const uploadsProjection = rowProjection({
  name: 'uploads',
  stream: 'UPLOADS',
  table: 'uploads',
  columns: { tenant: 'text', id: 'uuid', key: 'text', expires_at: 'timestamptz', last_seq: 'bigint' },
  handles: (e: AnyEvent): e is StorageEvent => e.type === 'upload.issued',
  idOf: (e) => e.data.upload_id,
  evolve,
  subject: uploadSubject,
  keyOfSubject: uploadOfSubject,
  onGone: onUploadsRemoved,
});
