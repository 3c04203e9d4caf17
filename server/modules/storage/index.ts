import { OBJECT_PREFIX, tenantToken, uploadSubject } from '@mayfly/contracts';
import { defineModule } from '../module.ts';
import { storageAdminRouter } from './admin-router.ts';
import { deletePrefix } from './delete-objects.ts';
import { ObjectReaper } from './object-reaper.ts';
import { onUploadsRemoved, uploadsProjection } from './projection/index.ts';
import { storageRouter } from './router.ts';
import { bucketFor, closeBucket, probeBucket, s3Configured } from './s3.ts';

export { bucketFor, probeBucket, s3Configured };

/**
 * Storage: presigned S3 URLs under `t/<tenant token>/`, each object hard-deleted at its TTL.
 * UPLOADS holds the issued keys, `uploads` projects them; when the reconciler removes a row,
 * its object is queued in `object_deletions` and the object reaper deletes it from S3.
 */
export const storage = defineModule({
  name: 'storage',
  router: storageRouter,
  adminRouter: storageAdminRouter,
  projections: [uploadsProjection],
  expiring: [{ table: 'uploads', stream: 'UPLOADS', subject: uploadSubject, onRemoved: onUploadsRemoved }],
  migrations: { module: 'storage', dir: new URL('./migrations/', import.meta.url) },
  jobs: (s) => [new ObjectReaper(s).job(s.config.RECONCILE_INTERVAL_SECONDS * 1000)],
  /** A purged app's objects go at once, whatever their TTL: its whole prefix. */
  async purgeTenant(s, appId) {
    const bucket = await bucketFor(s.config);
    if (bucket) await deletePrefix(bucket, `${OBJECT_PREFIX}${tenantToken(appId)}/`);
  },
  async close(s) {
    await closeBucket(s.config);
  },
});
