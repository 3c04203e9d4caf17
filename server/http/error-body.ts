import { TRPCError } from '@trpc/server';
import { HTTPException } from 'hono/http-exception';
import { ZodError } from 'zod';
import type { ErrorCode, ErrorEnvelope } from '@mayfly/contracts';
import { MayflyError } from '../platform/errors.ts';

/** An error as it goes on the wire: status, code, a message safe to show, details. */
export interface DescribedError {
  status: number;
  code: ErrorCode;
  message: string;
  details?: unknown;
  retryAfter?: number;
}

const STATUS_BY_TRPC: Partial<Record<TRPCError['code'], [number, ErrorCode]>> = {
  PARSE_ERROR: [400, 'MALFORMED_JSON'],
  BAD_REQUEST: [400, 'BAD_REQUEST'],
  UNAUTHORIZED: [401, 'UNAUTHORIZED'],
  FORBIDDEN: [403, 'FORBIDDEN'],
  NOT_FOUND: [404, 'NOT_FOUND'],
  METHOD_NOT_SUPPORTED: [405, 'BAD_REQUEST'],
  CONFLICT: [409, 'CONFLICT'],
  PAYLOAD_TOO_LARGE: [413, 'PAYLOAD_TOO_LARGE'],
  UNSUPPORTED_MEDIA_TYPE: [415, 'UNSUPPORTED_MEDIA_TYPE'],
  UNPROCESSABLE_CONTENT: [422, 'UNPROCESSABLE_CONTENT'],
  TOO_MANY_REQUESTS: [429, 'TOO_MANY_REQUESTS'],
  SERVICE_UNAVAILABLE: [503, 'SERVICE_UNAVAILABLE'],
};

/** Zod issues as `details`: where, what, and zod's code. */
export function zodDetails(err: ZodError) {
  return err.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message, code: i.code }));
}

/**
 * The one place an error becomes its wire form, for tRPC (`errorFormatter`), the REST twin
 * and plain Hono routes alike. Anything unexpected is a 500 with a generic message: internal
 * messages and stacks never leave the process.
 */
export function describeError(err: unknown): DescribedError {
  const cause = err instanceof TRPCError && err.cause ? err.cause : undefined;
  const own = err instanceof MayflyError ? err : cause instanceof MayflyError ? cause : undefined;
  if (own) {
    return { status: own.status, code: own.appCode, message: own.message, details: own.details, retryAfter: own.retryAfter };
  }
  if (cause instanceof ZodError && err instanceof TRPCError && err.code === 'BAD_REQUEST') {
    return { status: 400, code: 'VALIDATION_FAILED', message: 'the input is not valid', details: zodDetails(cause) };
  }
  if (err instanceof TRPCError) {
    const mapped = STATUS_BY_TRPC[err.code];
    if (mapped) {
      const message =
        err.code === 'PARSE_ERROR'
          ? 'the request body is not valid JSON'
          : err.code === 'UNSUPPORTED_MEDIA_TYPE'
            ? 'Content-Type must be application/json'
            : err.message;
      return { status: mapped[0], code: mapped[1], message };
    }
  }
  if (err instanceof HTTPException && err.status < 500) {
    return err.status === 413
      ? { status: 413, code: 'PAYLOAD_TOO_LARGE', message: 'the request body is too large' }
      : { status: err.status, code: 'BAD_REQUEST', message: err.message || 'bad request' };
  }
  return { status: 500, code: 'INTERNAL_SERVER_ERROR', message: 'internal error; the request id identifies it in the logs' };
}

/** The REST envelope for a described error. */
export function envelope(e: DescribedError, requestId: string): ErrorEnvelope {
  return {
    error: { code: e.code, message: e.message, ...(e.details === undefined ? {} : { details: e.details }) },
    request_id: requestId,
  };
}
