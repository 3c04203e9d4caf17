import { z } from 'zod';

/** Machine-readable error codes, the same in REST's envelope and in tRPC's `data.error_code`. */
export const ErrorCode = z.enum([
  'BAD_REQUEST',
  'VALIDATION_FAILED',
  'MALFORMED_JSON',
  'MISSING_APP_ID',
  'INVALID_APP_ID',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'NOT_FOUND',
  'GONE',
  'CONFLICT',
  'IDEMPOTENCY_KEY_REUSED',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'UNPROCESSABLE_CONTENT',
  'TOO_MANY_REQUESTS',
  'SERVICE_UNAVAILABLE',
  'PROJECTION_LAGGING',
  'INTERNAL_SERVER_ERROR',
]);
export type ErrorCode = z.infer<typeof ErrorCode>;

/** The REST error envelope: `{"error": {"code", "message", "details"?}, "request_id"}`. */
export const ErrorEnvelope = z
  .object({
    error: z.object({
      code: ErrorCode,
      message: z.string(),
      details: z.unknown().optional(),
    }),
    request_id: z.string(),
  })
  .meta({ id: 'ErrorEnvelope', description: 'Every REST error has this shape.' });
export type ErrorEnvelope = z.infer<typeof ErrorEnvelope>;
