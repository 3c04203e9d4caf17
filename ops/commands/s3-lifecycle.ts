import { applyLifecycle } from '../../server/modules/storage/lifecycle.ts';
import { bucketFor, missingS3Settings } from '../../server/modules/storage/s3.ts';
import type { Ops } from '../context.ts';
import { OpsError } from '../errors.ts';
import { printJson } from '../format.ts';

/** `s3-lifecycle`: puts the bucket's expiry rule for `t/` (the second line of defence behind the object reaper). */
export async function s3LifecycleCommand(ops: Ops, o: { json?: boolean }): Promise<void> {
  const bucket = await bucketFor(ops.config);
  if (!bucket) throw new OpsError(`storage is not configured: set ${missingS3Settings(ops.config).join(', ')}`);
  try {
    const applied = await applyLifecycle(bucket, ops.config.STORAGE_OBJECT_TTL_SECONDS);
    if (o.json) return printJson(applied);
    console.log(`bucket ${applied.bucket}: rule ${applied.rule_id} expires ${applied.prefix}* after ${applied.expiration_days} days`);
  } finally {
    bucket.client.destroy();
  }
}
