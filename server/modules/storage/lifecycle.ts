import type { LifecycleRule } from '@aws-sdk/client-s3';
import { OBJECT_PREFIX, type StorageLifecycleApplied } from '@mayfly/contracts';
import { s3sdk, type Bucket } from './s3.ts';

/** The id of Mayfly's rule among the bucket's lifecycle rules. */
export const LIFECYCLE_RULE_ID = 'mayfly-object-ttl';

/**
 * Days after which the bucket itself expires objects under `t/`: the TTL rounded up to whole
 * days (lifecycle rules count days) plus one, so the rule never races the reaper and only
 * catches what it missed (an upload finished after its object was reaped, a lost queue).
 */
export function lifecycleDays(ttlSeconds: number): number {
  return Math.ceil(ttlSeconds / 86_400) + 1;
}

/** The bucket's rules with Mayfly's put in (replacing an older version of it, keeping the others). */
export function withMayflyRule(existing: LifecycleRule[], days: number): LifecycleRule[] {
  const ours: LifecycleRule = { ID: LIFECYCLE_RULE_ID, Status: 'Enabled', Filter: { Prefix: OBJECT_PREFIX }, Expiration: { Days: days } };
  return [...existing.filter((r) => r.ID !== LIFECYCLE_RULE_ID), ours];
}

/**
 * Applies the expiry rule for `t/` to the bucket: the second line of defence behind the
 * reaper. PutBucketLifecycleConfiguration replaces the whole configuration, so the bucket's
 * other rules are read first and kept.
 */
export async function applyLifecycle(bucket: Bucket, ttlSeconds: number): Promise<StorageLifecycleApplied> {
  const { GetBucketLifecycleConfigurationCommand, PutBucketLifecycleConfigurationCommand } = await s3sdk();
  let existing: LifecycleRule[] = [];
  try {
    existing = (await bucket.client.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket.name }))).Rules ?? [];
  } catch (err) {
    if ((err as { name?: string }).name !== 'NoSuchLifecycleConfiguration') throw err;
  }
  const days = lifecycleDays(ttlSeconds);
  await bucket.client.send(
    new PutBucketLifecycleConfigurationCommand({ Bucket: bucket.name, LifecycleConfiguration: { Rules: withMayflyRule(existing, days) } }),
  );
  return { bucket: bucket.name, rule_id: LIFECYCLE_RULE_ID, prefix: OBJECT_PREFIX, expiration_days: days };
}
