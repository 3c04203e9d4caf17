import { OBJECT_PREFIX, tenantToken, uploadSubject } from '@mayfly/contracts';
import type { Module } from '../module.ts';
import { deletePrefix } from './delete-objects.ts';
import { onUploadsRemoved, uploadsProjection } from './projection/apply.ts';
import { storageRouter } from './router.ts';
import { bucketFor, closeBucket } from './s3.ts';

/**
 * Storage: presigned S3 URLs under `t/<tenant token>/`, each object hard-deleted at its TTL.
 * UPLOADS holds the issued keys, `uploads` projects them; when the reconciler removes a row,
 * its object is queued in `object_deletions` and the object reaper deletes it from S3.
 */
export const storage = {
  name: 'storage',
  router: storageRouter,
  projections: [uploadsProjection],
  expiring: [{ table: 'uploads', stream: 'UPLOADS', subject: uploadSubject, onRemoved: onUploadsRemoved }],
  migrations: { module: 'storage', dir: new URL('./migrations/', import.meta.url) },
  /** A purged app's objects go at once, whatever their TTL: its whole prefix. */
  async purgeTenant(services, appId) {
    const bucket = bucketFor(services.config);
    if (bucket) await deletePrefix(bucket, `${OBJECT_PREFIX}${tenantToken(appId)}/`);
  },
  async close(services) {
    closeBucket(services.config);
  },
} satisfies Module;
