import { s3sdk, type Bucket } from './s3.ts';

/** DeleteObjects takes at most this many keys per call. */
export const DELETE_BATCH = 1_000;

/**
 * Deletes up to 1000 objects in one call; returns the keys S3 could not delete (a key that is
 * already gone counts as deleted, as S3 reports it).
 */
export async function deleteObjects(bucket: Bucket, keys: string[]): Promise<Set<string>> {
  const unique = [...new Set(keys)];
  if (unique.length === 0) return new Set();
  const { DeleteObjectsCommand } = await s3sdk();
  const out = await bucket.client.send(
    new DeleteObjectsCommand({ Bucket: bucket.name, Delete: { Objects: unique.map((Key) => ({ Key })), Quiet: true } }),
  );
  return new Set((out.Errors ?? []).map((e) => e.Key ?? '').filter(Boolean));
}

/** Deletes every object under `prefix`, page by page; returns how many were deleted. */
export async function deletePrefix(bucket: Bucket, prefix: string): Promise<number> {
  const { ListObjectsV2Command } = await s3sdk();
  let deleted = 0;
  let token: string | undefined;
  do {
    const page = await bucket.client.send(new ListObjectsV2Command({ Bucket: bucket.name, Prefix: prefix, ContinuationToken: token, MaxKeys: DELETE_BATCH }));
    const keys = (page.Contents ?? []).flatMap((o) => (o.Key ? [o.Key] : []));
    const failed = await deleteObjects(bucket, keys);
    if (failed.size > 0) throw new Error(`${failed.size} objects under ${prefix} could not be deleted`);
    deleted += keys.length;
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return deleted;
}
