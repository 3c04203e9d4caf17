import {
  StorageDownload,
  StorageDownloadInput,
  StorageUpload,
  StorageUploadInput,
  objectKey,
  parseObjectKey,
  tenantToken,
  uploadSubject,
} from '@mayfly/contracts';
import { MayflyError, notFound } from '../../platform/errors.ts';
import { newId } from '../../platform/events/ids.ts';
import { newEvent } from '../../platform/events/publisher.ts';
import { router, tenantProcedure } from '../../trpc/trpc.ts';
import { checkUpload } from './limits.ts';
import { presignGet, presignPut, urlSeconds } from './presign.ts';
import { uploadsProjection } from './projection/index.ts';
import { findUpload } from './projection/queries.ts';
import { requireBucket } from './s3.ts';

const tags = ['storage'];

/** The storage router: presigned upload and download URLs for tenant-prefixed, expiring objects. */
export const storageRouter = router({
  createUpload: tenantProcedure
    .meta({
      openapi: { method: 'POST', path: '/storage/uploads', tags, summary: 'A presigned PUT URL for one object that is deleted at its TTL', protect: false },
      successStatus: 201,
    })
    .input(StorageUploadInput)
    .output(StorageUpload)
    .mutation(async ({ ctx, input }) => {
      const s = ctx.services;
      const bucket = await requireBucket(s.config);
      const ttl = checkUpload(s.config, input);
      const now = s.now();
      const id = newId();
      const key = objectKey(ctx.tenant, id);
      const requested = new Date(now.getTime() + ttl * 1000).toISOString();
      // The commit point: from here the reconciler knows the key and deletes it at its TTL.
      // An upload slot that failed to publish is never handed out, so no object goes untracked.
      // A retry answers with the slot first issued (its expiry), never a longer one.
      const issued = await s.events.publishOnce(
        newEvent('upload.issued', ctx.tenant, { upload_id: id, key, content_type: input.content_type, content_length: input.content_length, expires_at: requested }, now, id),
        uploadSubject(ctx.tenant, id),
        { ttlSeconds: ttl },
      );
      const expiresAt = new Date(issued.data.expires_at);
      const url = await presignPut(bucket, key, input.content_type, input.content_length, urlSeconds(now, expiresAt), now);
      return {
        key,
        url,
        method: 'PUT' as const,
        headers: { 'Content-Type': input.content_type, 'Content-Length': String(input.content_length) },
        expires_at: expiresAt.toISOString(),
      };
    }),

  createDownload: tenantProcedure
    .meta({ openapi: { method: 'POST', path: '/storage/downloads', tags, summary: 'A presigned GET URL for a live object of this app', protect: false } })
    .input(StorageDownloadInput)
    .output(StorageDownload)
    .mutation(async ({ ctx, input }) => {
      const s = ctx.services;
      const bucket = await requireBucket(s.config);
      const parsed = parseObjectKey(input.key);
      if (!parsed) throw new MayflyError('VALIDATION_FAILED', 'key is not valid', { details: [{ path: 'key', message: 'must be a key returned by storage.createUpload', code: 'invalid_format' }] });
      if (parsed.token !== tenantToken(ctx.tenant)) throw new MayflyError('FORBIDDEN', 'this key belongs to another app');
      // Read-your-writes: an upload issued a moment ago (by any instance) is found.
      const seq = await s.consistency.settle(uploadsProjection.name, 'UPLOADS', uploadSubject(ctx.tenant, parsed.uploadId));
      const now = s.now();
      const upload = seq === 0 ? null : await findUpload(s.db, ctx.tenant, parsed.uploadId, now);
      if (!upload) throw notFound('upload');
      const seconds = urlSeconds(now, upload.expires_at);
      const url = await presignGet(bucket, upload.key, seconds, now);
      return { url, expires_at: new Date(now.getTime() + seconds * 1000).toISOString() };
    }),
});
