import { s3sdk, type Bucket } from './s3.ts';

/** The SDK and its presigner, loaded with the first URL. */
const presigner = () => Promise.all([s3sdk(), import('@aws-sdk/s3-request-presigner')]);

/** Longest a presigned URL works: a leaked URL is useful for a short while only. */
export const MAX_URL_SECONDS = 900;

/** Whole seconds a URL issued at `now` may work: at most 15 minutes, and not past `until` (at least 1). */
export function urlSeconds(now: Date, until: Date): number {
  return Math.max(1, Math.min(MAX_URL_SECONDS, Math.floor((until.getTime() - now.getTime()) / 1000)));
}

/**
 * A presigned PUT with Content-Type and Content-Length among the signed headers: the upload
 * must send exactly the type and size that passed the limits, or S3 refuses the signature.
 */
export async function presignPut(bucket: Bucket, key: string, contentType: string, contentLength: number, seconds: number, now: Date): Promise<string> {
  const [{ PutObjectCommand }, { getSignedUrl }] = await presigner();
  return getSignedUrl(bucket.client, new PutObjectCommand({ Bucket: bucket.name, Key: key, ContentType: contentType, ContentLength: contentLength }), {
    expiresIn: seconds,
    signingDate: now,
    signableHeaders: new Set(['content-type', 'content-length']),
  });
}

/** A presigned GET of one object. */
export async function presignGet(bucket: Bucket, key: string, seconds: number, now: Date): Promise<string> {
  const [{ GetObjectCommand }, { getSignedUrl }] = await presigner();
  return getSignedUrl(bucket.client, new GetObjectCommand({ Bucket: bucket.name, Key: key }), { expiresIn: seconds, signingDate: now });
}
