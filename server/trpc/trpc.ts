import { initTRPC } from '@trpc/server';
import superjson from 'superjson';
import { ZodError } from 'zod';
import type { OpenApiMeta } from 'trpc-to-openapi';
import type { Context } from './context.ts';
import { describeError } from '../http/error-body.ts';
import { checkAdminToken } from '../http/admin-auth.ts';
import { MayflyError } from '../platform/errors.ts';

/** Procedure metadata: the REST twin's route, and its success status when not 200. */
export type Meta = OpenApiMeta<{ successStatus?: 201 }>;

const t = initTRPC
  .context<Context>()
  .meta<Meta>()
  .create({
    transformer: superjson,
    // Never put stack traces on the wire, whatever NODE_ENV says.
    isDev: false,
    errorFormatter({ shape, error, ctx }) {
      const described = describeError(error);
      return {
        message: described.message,
        code: shape.code,
        data: {
          code: shape.data.code,
          httpStatus: shape.data.httpStatus,
          path: shape.data.path,
          error_code: described.code,
          details: described.details,
          request_id: ctx?.requestId,
        },
      };
    },
  });

// A NUL byte or a lone surrogate has no place in any text Mayfly keeps or forwards (Postgres
// refuses NUL in text; a lone surrogate is not valid Unicode): refused before validation.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function findBadText(v: unknown, path: string, depth = 0): string | undefined {
  if (typeof v === 'string') return v.includes('\u0000') || LONE_SURROGATE.test(v) ? path || '(input)' : undefined;
  if (depth > 32 || v === null || typeof v !== 'object') return undefined;
  for (const [k, x] of Object.entries(v)) {
    const at = path ? `${path}.${k}` : k;
    const bad = findBadText(k, at, depth + 1) ?? findBadText(x, at, depth + 1);
    if (bad) return bad;
  }
  return undefined;
}

/** Refuses input with a NUL byte or a lone surrogate, before validation. */
async function rejectBadText(getRawInput: () => Promise<unknown>): Promise<void> {
  const bad = findBadText(await getRawInput(), '');
  if (bad) {
    throw new MayflyError(400, 'VALIDATION_FAILED', 'text must not contain NUL bytes or lone surrogates', {
      details: [{ path: bad, message: 'contains a NUL byte or a lone surrogate', code: 'invalid_string' }],
    });
  }
}

// One middleware per kind of procedure: every level of tRPC middleware costs object copies
// on each call.
const textOnly = t.middleware(async ({ getRawInput, next }) => {
  await rejectBadText(getRawInput);
  return next();
});

/** Tenant-scoped procedures: the edge has resolved `X-App-ID`, so `ctx.tenant` is a string. */
const tenantOnly = t.middleware(async ({ ctx, getRawInput, next }) => {
  if (ctx.tenant === null) throw new Error('tenant procedure reached without a tenant');
  await rejectBadText(getRawInput);
  return next({ ctx: { tenant: ctx.tenant } });
});

/** Admin procedures: `Authorization: Bearer <ADMIN_TOKEN>`, compared in constant time. */
const adminOnly = t.middleware(async ({ ctx, getRawInput, next }) => {
  await rejectBadText(getRawInput);
  checkAdminToken(ctx.services.config.ADMIN_TOKEN, ctx.authorization);
  return next();
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;
/** No tenant needed (health-like procedures). */
export const publicProcedure = t.procedure.use(textOnly);
/** Every module's procedures: `ctx.tenant` is the calling app. */
export const tenantProcedure = t.procedure.use(tenantOnly);
/** Operator procedures (no X-App-ID). */
export const adminProcedure = t.procedure.use(adminOnly);
export { ZodError };
