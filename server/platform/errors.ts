import { TRPCError } from '@trpc/server';
import type { TRPC_ERROR_CODE_KEY } from '@trpc/server/rpc';
import type { ErrorCode } from '@mayfly/contracts';

const TRPC_CODE_BY_STATUS: Record<number, TRPC_ERROR_CODE_KEY> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  409: 'CONFLICT',
  // tRPC has no 410: tRPC clients see NOT_FOUND (with error_code GONE), REST answers 410.
  410: 'NOT_FOUND',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  422: 'UNPROCESSABLE_CONTENT',
  429: 'TOO_MANY_REQUESTS',
  503: 'SERVICE_UNAVAILABLE',
};

/**
 * The one error type procedures throw. It is a `TRPCError`, so tRPC and the OpenAPI bridge
 * pick the right HTTP status from it, and it carries Mayfly's own code and details, which
 * `toErrorBody` puts on the wire.
 */
export class MayflyError extends TRPCError {
  readonly status: number;
  readonly appCode: ErrorCode;
  readonly details: unknown;
  /** Seconds a client should wait before trying again (sets `Retry-After`). */
  readonly retryAfter: number | undefined;

  constructor(
    status: number,
    appCode: ErrorCode,
    message: string,
    opts: { details?: unknown; cause?: unknown; retryAfter?: number } = {},
  ) {
    super({ code: TRPC_CODE_BY_STATUS[status] ?? 'INTERNAL_SERVER_ERROR', message, cause: opts.cause });
    this.status = status;
    this.appCode = appCode;
    this.details = opts.details;
    this.retryAfter = opts.retryAfter;
  }
}

export const badRequest = (message: string, details?: unknown) =>
  new MayflyError(400, 'BAD_REQUEST', message, { details });
export const notFound = (what: string) => new MayflyError(404, 'NOT_FOUND', `${what} not found`);
export const conflict = (message: string, details?: unknown) =>
  new MayflyError(409, 'CONFLICT', message, { details });
export const unavailable = (message: string, cause?: unknown, retryAfter = 1) =>
  new MayflyError(503, 'SERVICE_UNAVAILABLE', message, { cause, retryAfter });
