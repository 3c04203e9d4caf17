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
  'METHOD_NOT_ALLOWED',
  'GONE',
  'IDEMPOTENT_RESULT_GONE',
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

/**
 * The HTTP status of each error code: REST answers with it, and tRPC's `data.httpStatus`
 * carries it (tRPC has no 410: its clients see `NOT_FOUND` with `error_code: "GONE"`).
 */
export const ERROR_STATUS: Record<ErrorCode, number> = {
  BAD_REQUEST: 400,
  VALIDATION_FAILED: 400,
  MALFORMED_JSON: 400,
  MISSING_APP_ID: 400,
  INVALID_APP_ID: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  GONE: 410,
  IDEMPOTENT_RESULT_GONE: 410,
  CONFLICT: 409,
  IDEMPOTENCY_KEY_REUSED: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  UNPROCESSABLE_CONTENT: 422,
  TOO_MANY_REQUESTS: 429,
  SERVICE_UNAVAILABLE: 503,
  PROJECTION_LAGGING: 503,
  INTERNAL_SERVER_ERROR: 500,
};

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
