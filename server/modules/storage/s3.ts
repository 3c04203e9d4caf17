import type { S3Client } from '@aws-sdk/client-s3';
import type { Config } from '../../platform/config.ts';
import { MayflyError } from '../../platform/errors.ts';

/** Settings storage can not work without (S3_ENDPOINT is optional: unset means AWS). */
export const REQUIRED_S3_SETTINGS = ['S3_BUCKET', 'S3_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'] as const;

/**
 * The AWS SDK, loaded on first use: it is the largest library the service has, most
 * deployments of the embedded default have no bucket, and start-up should not pay for it.
 */
export const s3sdk = () => import('@aws-sdk/client-s3');

/** A configured bucket and the client that reaches it. */
export interface Bucket {
  client: S3Client;
  name: string;
}

/** The required settings that are not set. */
export function missingS3Settings(config: Config): string[] {
  return REQUIRED_S3_SETTINGS.filter((name) => !config[name]);
}

// One client per configuration (so per process, and per instance in tests): clients keep
// connection pools, and building one per request would throw them away.
const buckets = new WeakMap<Config, Promise<Bucket>>();

/** True when every required S3 setting is there. */
export function s3Configured(config: Config): boolean {
  return missingS3Settings(config).length === 0;
}

/** The configured bucket, or undefined when a required setting is missing. */
export async function bucketFor(config: Config): Promise<Bucket | undefined> {
  if (!s3Configured(config)) return undefined;
  let bucket = buckets.get(config);
  if (!bucket) {
    bucket = s3sdk().then(({ S3Client }) => ({ client: newClient(S3Client, config), name: config.S3_BUCKET! }));
    buckets.set(config, bucket);
  }
  return bucket;
}

function newClient(S3: typeof S3Client, config: Config): S3Client {
  return new S3({
    region: config.S3_REGION!,
    ...(config.S3_ENDPOINT ? { endpoint: config.S3_ENDPOINT } : {}),
    forcePathStyle: config.S3_FORCE_PATH_STYLE,
    credentials: { accessKeyId: config.AWS_ACCESS_KEY_ID!, secretAccessKey: config.AWS_SECRET_ACCESS_KEY! },
    // By default presigned PUTs carry a checksum of an empty body, which S3, R2 and MinIO
    // then reject: compute checksums only where an operation requires one (DESIGN pitfalls).
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/** The configured bucket, or 503 naming the missing settings. */
export async function requireBucket(config: Config): Promise<Bucket> {
  const bucket = await bucketFor(config);
  if (bucket) return bucket;
  const missing = missingS3Settings(config);
  throw new MayflyError('SERVICE_UNAVAILABLE', `storage is not configured: set ${missing.join(', ')}`, { details: { missing } });
}

/** Closes the bucket's client (its sockets), if one was made for `config`. */
export async function closeBucket(config: Config): Promise<void> {
  const bucket = buckets.get(config);
  buckets.delete(config);
  (await bucket?.catch(() => undefined))?.client.destroy();
}

/** Probes the bucket for a health check (HeadBucket): its name when reachable, undefined when storage is not configured; throws when unreachable. */
export async function probeBucket(config: Config): Promise<string | undefined> {
  const bucket = await bucketFor(config);
  if (!bucket) return undefined;
  const { HeadBucketCommand } = await s3sdk();
  await bucket.client.send(new HeadBucketCommand({ Bucket: bucket.name }));
  return `bucket ${bucket.name}`;
}
