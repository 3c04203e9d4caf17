import { HTTPException } from 'hono/http-exception';
import type { ErrorEnvelope } from '@mayfly/contracts';
import { describeError as describeProcedureError, type DescribedError } from '../trpc/errors.ts';

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
