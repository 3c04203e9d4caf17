import { z } from 'zod';
import { eventEnvelope } from './envelope.ts';
import { tenantToken } from './tenant.ts';

const Timestamp = z.iso.datetime().meta({ description: 'ISO-8601 UTC time.' });

/** Where every tenant's objects live: `t/<tenant token>/`, one prefix the lifecycle rule covers. */
export const OBJECT_PREFIX = 't/';

const KEY_PATTERN = /^t\/([A-Za-z0-9~_-]{1,64})\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

/** An object key as Mayfly issues it: `t/<tenant token>/<upload id>`. */
export const ObjectKey = z
  .string()
  .max(200)
  .regex(KEY_PATTERN, 'must be a key returned by storage.createUpload')
  .meta({ description: 'An object key returned by createUpload.', example: 't/com~example~app/0b6e4a1c-2f3d-4e5f-8a9b-0c1d2e3f4a5b' });

/**
 * The key of an upload. The tenant goes in as its subject token (`.` becomes `~`), never raw:
 * an app id of `.` or `..` would otherwise make a path segment that URL normalisation folds
 * away, moving the object out of the tenant's prefix.
 */
export const objectKey = (appId: string, uploadId: string) => `${OBJECT_PREFIX}${tenantToken(appId)}/${uploadId}`;

/** The tenant token and upload id in a key, or null when it is not one of ours. */
export function parseObjectKey(key: string): { token: string; uploadId: string } | null {
  const m = KEY_PATTERN.exec(key);
  return m ? { token: m[1]!, uploadId: m[2]! } : null;
}

/** A MIME type as sent in Content-Type (parameters allowed: `text/plain; charset=utf-8`). */
const ContentType = z
  .string()
  .max(255)
  .regex(/^[A-Za-z0-9!#$&^_.+-]+\/[A-Za-z0-9!#$&^_.+-]+(\s*;\s*[A-Za-z0-9!#$&^_.+-]+=("[^"]*"|[A-Za-z0-9!#$&^_.+-]+))*$/, 'must be a MIME type')
  .meta({ description: 'The Content-Type the upload will send (it is signed: send exactly this).', example: 'image/jpeg' });

export const StorageUploadInput = z.strictObject({
  content_type: ContentType,
  content_length: z
    .number()
    .int()
    .min(0)
    .max(5 * 1024 ** 3)
    .meta({ description: 'The exact size in bytes the upload will send (it is signed). At most the server limit (default 25 MiB).', example: 48_213 }),
  ttl_seconds: z
    .number()
    .int()
    .min(1)
    .max(31_536_000)
    .optional()
    .meta({ description: 'How long the object is kept before it is deleted (default and maximum: the server limit).', example: 3600 }),
});
export type StorageUploadInput = z.infer<typeof StorageUploadInput>;

export const StorageUpload = z
  .object({
    key: ObjectKey,
    url: z.url().meta({ description: 'Presigned URL: PUT the bytes here before it expires (at most 15 minutes, never after the object).' }),
    method: z.literal('PUT'),
    headers: z.record(z.string(), z.string()).meta({ description: 'Headers the PUT must send exactly as given (they are signed).' }),
    expires_at: Timestamp.meta({ description: 'When the object is deleted.' }),
  })
  .meta({ id: 'StorageUpload' });
export type StorageUpload = z.infer<typeof StorageUpload>;

export const StorageDownloadInput = z.strictObject({ key: ObjectKey });
export const StorageDownload = z
  .object({
    url: z.url().meta({ description: 'Presigned URL: GET the object here.' }),
    expires_at: Timestamp.meta({ description: 'When the URL stops working (at most 15 minutes, never after the object is deleted).' }),
  })
  .meta({ id: 'StorageDownload' });
export type StorageDownload = z.infer<typeof StorageDownload>;

/** An upload slot was issued: the object under `key` lives until `expires_at`. No content, no names. */
export const UploadIssuedEvent = eventEnvelope(
  'upload.issued',
  1,
  z.object({ upload_id: z.uuid(), key: ObjectKey, content_type: z.string(), content_length: z.number().int().min(0), expires_at: z.iso.datetime() }),
);
export type UploadIssuedEvent = z.infer<typeof UploadIssuedEvent>;
export type StorageEvent = UploadIssuedEvent;

/** The subject of one upload: `storage.<tenant token>.<upload id>`. */
export const uploadSubject = (appId: string, uploadId: string) => `storage.${tenantToken(appId)}.${uploadId}`;
/** Every upload subject of one tenant. */
export const tenantUploadsFilter = (appId: string) => `storage.${tenantToken(appId)}.*`;

/** What `admin.storage.applyLifecycle` put on the bucket. */
export const StorageLifecycleApplied = z
  .object({
    bucket: z.string(),
    rule_id: z.string(),
    prefix: z.string(),
    expiration_days: z.number().int().positive(),
  })
  .meta({ id: 'StorageLifecycleApplied' });
export type StorageLifecycleApplied = z.infer<typeof StorageLifecycleApplied>;
