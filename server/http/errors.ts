import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { ErrorEnvelope } from '@mayfly/contracts';
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

/**
 * Notes what a request was refused with, for its one access-log line (`requestLog`): the code
 * and message, and what was thrown, whose stack is logged only when nobody expected it (a 500).
 */
export function noteError(c: Context, described: DescribedError, thrown?: unknown): void {
  const errors = c.get('errors') ?? [];
  errors.push({ described, thrown });
  c.set('errors', errors);
}

/** The REST error response for `e` (with `Retry-After` where the error says when to retry), noted for the access log. */
export function errorResponse(c: Context, e: DescribedError, thrown?: unknown): Response {
  noteError(c, e, thrown);
  if (e.retryAfter !== undefined) c.header('Retry-After', String(e.retryAfter));
  return c.json(envelope(e, c.get('requestId')), e.status as ContentfulStatusCode);
}
