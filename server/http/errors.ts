import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { ErrorEnvelope } from '@mayfly/contracts';
import type { Logger } from '../platform/logger.ts';
import { describeError as describeProcedureError, type DescribedError } from '../trpc/errors.ts';
import './variables.ts';

export type { DescribedError };

/**
 * The one place an error becomes its REST wire form: what procedures and tRPC throw (see
 * the tRPC layer's `describeError`), plus Hono's own refusals (a body over the limit).
 */
export function describeError(err: unknown): DescribedError {
  if (err instanceof HTTPException && err.status < 500) {
    return err.status === 413
      ? { status: 413, code: 'PAYLOAD_TOO_LARGE', message: 'the request body is too large' }
      : { status: err.status, code: 'BAD_REQUEST', message: err.message || 'bad request' };
  }
  return describeProcedureError(err);
}

/** The REST envelope for a described error. */
export function envelope(e: DescribedError, requestId: string): ErrorEnvelope {
  return {
    error: { code: e.code, message: e.message, ...(e.details === undefined ? {} : { details: e.details }) },
    request_id: requestId,
  };
}

/** The REST error response for `e` (with `Retry-After` where the error says when to retry). */
export function errorResponse(c: Context, e: DescribedError): Response {
  if (e.retryAfter !== undefined) c.header('Retry-After', String(e.retryAfter));
  return c.json(envelope(e, c.get('requestId')), e.status as ContentfulStatusCode);
}

/** Logs what a procedure threw when it is the server's fault (5xx), never a client's mistake. */
export function logServerError(error: unknown, path: string | undefined, log: Logger): void {
  if (describeError(error).status >= 500) {
    const cause = error instanceof Error && error.cause !== undefined ? error.cause : error;
    log.error({ err: cause, path }, 'procedure failed');
  }
}
