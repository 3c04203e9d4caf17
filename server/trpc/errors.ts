import { TRPCError } from '@trpc/server';
import type { TRPC_ERROR_CODE_KEY } from '@trpc/server/rpc';
import { ZodError } from 'zod';
import { ERROR_STATUS, type ErrorCode } from '@mayfly/contracts';
import { MayflyError, type FieldIssue } from '../platform/errors.ts';

/** An error as it goes on the wire: status, code, a message safe to show, details. */
export interface DescribedError {
  status: number;
  code: ErrorCode;
  message: string;
  details?: unknown;
  retryAfter?: number;
}

/** tRPC's own refusals (raised before a procedure runs) in Mayfly's codes. */
const CODE_BY_TRPC: Partial<Record<TRPCError['code'], ErrorCode>> = {
  PARSE_ERROR: 'MALFORMED_JSON',
  BAD_REQUEST: 'BAD_REQUEST',
  UNAUTHORIZED: 'UNAUTHORIZED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  METHOD_NOT_SUPPORTED: 'METHOD_NOT_ALLOWED',
  CONFLICT: 'CONFLICT',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  UNPROCESSABLE_CONTENT: 'UNPROCESSABLE_CONTENT',
  TOO_MANY_REQUESTS: 'TOO_MANY_REQUESTS',
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
};

/** The tRPC code a tRPC client sees for each HTTP status (tRPC has no 410: NOT_FOUND). */
const TRPC_BY_STATUS: Record<number, TRPC_ERROR_CODE_KEY> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_SUPPORTED',
  409: 'CONFLICT',
  410: 'NOT_FOUND',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  422: 'UNPROCESSABLE_CONTENT',
  429: 'TOO_MANY_REQUESTS',
  503: 'SERVICE_UNAVAILABLE',
};

/** The tRPC code key for an HTTP status. */
export const trpcCodeFor = (status: number): TRPC_ERROR_CODE_KEY => TRPC_BY_STATUS[status] ?? 'INTERNAL_SERVER_ERROR';

type ZodIssue = ZodError['issues'][number];

/**
 * One zod issue as `details` entries. An unknown field is named by its own path (Stripe's
 * "unknown parameter"); a value that fits one branch of a union by type is described by that
 * branch's issues, not by "invalid input".
 */
function fieldIssues(issue: ZodIssue, prefix: PropertyKey[]): FieldIssue[] {
  const at = [...prefix, ...issue.path];
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({ path: [...at, key].map(String).join('.'), message: 'is not a known field', code: issue.code }));
  }
  if (issue.code === 'invalid_union') {
    const fitting = issue.errors.filter((branch) => !branch.some((i) => i.code === 'invalid_type' && i.path.length === 0));
    if (fitting.length === 1) return fitting[0]!.flatMap((i) => fieldIssues(i, at));
  }
  return [{ path: at.map(String).join('.'), message: issue.message, code: issue.code }];
}

/** Zod issues as `details`: where, what, and zod's code. */
export function zodDetails(err: ZodError): FieldIssue[] {
  return err.issues.flatMap((i) => fieldIssues(i, []));
}

const described = (code: ErrorCode, message: string, extra: Pick<DescribedError, 'details' | 'retryAfter'> = {}): DescribedError => ({
  status: ERROR_STATUS[code],
  code,
  message,
  ...(extra.details === undefined ? {} : { details: extra.details }),
  ...(extra.retryAfter === undefined ? {} : { retryAfter: extra.retryAfter }),
});

/**
 * The wire form of anything a procedure (or tRPC around it) threw: Mayfly's own errors as
 * they are, zod's as VALIDATION_FAILED with the issues, tRPC's refusals in Mayfly's codes.
 * Anything unexpected is a 500 with a generic message: internal messages and stacks never
 * leave the process.
 */
export function describeError(err: unknown): DescribedError {
  const cause = err instanceof TRPCError ? err.cause : undefined;
  const own = err instanceof MayflyError ? err : cause instanceof MayflyError ? cause : undefined;
  if (own) return described(own.code, own.message, { details: own.details, retryAfter: own.retryAfter });
  if (cause instanceof ZodError && err instanceof TRPCError && err.code === 'BAD_REQUEST') {
    return described('VALIDATION_FAILED', 'the input is not valid', { details: zodDetails(cause) });
  }
  if (err instanceof TRPCError) {
    const code = CODE_BY_TRPC[err.code];
    if (code) {
      const message =
        err.code === 'PARSE_ERROR'
          ? 'the request body is not valid JSON'
          : err.code === 'UNSUPPORTED_MEDIA_TYPE'
            ? 'Content-Type must be application/json'
            : err.message;
      return described(code, message);
    }
  }
  return described('INTERNAL_SERVER_ERROR', 'internal error; the request id identifies it in the logs');
}
