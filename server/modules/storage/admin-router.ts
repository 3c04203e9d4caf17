import { StorageLifecycleApplied } from '@mayfly/contracts';
import { MayflyError } from '../../platform/errors.ts';
import { adminProcedure, noInput, router } from '../../trpc/trpc.ts';
import { applyLifecycle } from './lifecycle.ts';
import { requireBucket } from './s3.ts';

/** Operator procedures of storage, mounted under `admin.storage`. */
export const storageAdminRouter = router({
  applyLifecycle: adminProcedure
    .meta({
      openapi: { method: 'POST', path: '/admin/storage/lifecycle', tags: ['admin'], summary: 'Apply the bucket lifecycle rule that expires t/ objects (second line of defence)', protect: true },
    })
    .input(noInput)
    .output(StorageLifecycleApplied)
    .mutation(async ({ ctx }) => {
      const bucket = await requireBucket(ctx.services.config);
      try {
        return await applyLifecycle(bucket, ctx.services.config.STORAGE_OBJECT_TTL_SECONDS);
      } catch (err) {
        const code = (err as { name?: string }).name ?? 'error';
        throw new MayflyError('SERVICE_UNAVAILABLE', `the bucket did not take the lifecycle rule (${code})`, { cause: err });
      }
    }),
});
