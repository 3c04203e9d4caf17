import { ERROR_STATUS, type ErrorCode } from '@mayfly/contracts';

/**
 * The one error type Mayfly's own code throws: a code from the contract's catalog, a message
 * safe to show a client, and optional details. It knows nothing of HTTP or tRPC: the edge
 * (REST) and the tRPC error formatter turn it into their wire forms, with the status the
 * contract gives its code (`ERROR_STATUS`). `cause` keeps what went wrong underneath.
 */
export class MayflyError extends Error {
  override name = 'MayflyError';
  readonly code: ErrorCode;
  readonly details: unknown;
  /** Seconds a client should wait before trying again (sets `Retry-After`). */
  readonly retryAfter: number | undefined;

  constructor(code: ErrorCode, message: string, opts: { details?: unknown; cause?: unknown; retryAfter?: number } = {}) {
    // A refusal (4xx) is an answer, not a fault: it captures no stack. Nothing logs one, and
    // tRPC reads `stack` of every error a procedure throws, which with source maps on cost more
    // than the rest of the refusal (the first one parses the bundle's map: ~100 ms of event loop).
    const limit = Error.stackTraceLimit;
    if (ERROR_STATUS[code] < 500) Error.stackTraceLimit = 0;
    try {
      super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    } finally {
      Error.stackTraceLimit = limit;
    }
    this.code = code;
    this.details = opts.details;
    this.retryAfter = opts.retryAfter;
  }
}

/** One field that failed validation, as `details` lists them. */
export interface FieldIssue {
  path: string;
  message: string;
  code: string;
}

export const badRequest = (message: string, details?: unknown) => new MayflyError('BAD_REQUEST', message, { details });
/** Input that breaks a rule zod can not know (a server limit): the same code and shape as a zod failure. */
export const invalidInput = (message: string, issues: FieldIssue[]) => new MayflyError('VALIDATION_FAILED', message, { details: issues });
export const notFound = (what: string) => new MayflyError('NOT_FOUND', `${what} not found`);
export const conflict = (message: string, details?: unknown) => new MayflyError('CONFLICT', message, { details });
export const forbidden = (message: string, details?: unknown) => new MayflyError('FORBIDDEN', message, { details });
export const unauthorized = (message: string) => new MayflyError('UNAUTHORIZED', message);
export const unavailable = (message: string, cause?: unknown, retryAfter = 1) =>
  new MayflyError('SERVICE_UNAVAILABLE', message, { cause, retryAfter });
