import { initTRPC } from '@trpc/server';
import { TRPC_ERROR_CODES_BY_KEY } from '@trpc/server/rpc';
import { getHTTPStatusCodeFromError } from '@trpc/server/http';
import { TRPCError } from '@trpc/server';
import superjson from 'superjson';
import { z } from 'zod';
import type { OpenApiMeta } from 'trpc-to-openapi';
import { MayflyError } from '../platform/errors.ts';
import { bearer, constantTimeEqual } from '../platform/credentials.ts';
import type { Context } from './context.ts';
import { describeError, trpcCodeFor } from './errors.ts';
import { rejectBadInput } from './input-guard.ts';

/** Procedure metadata: the REST twin's route, and its success status when not 200. */
export type Meta = OpenApiMeta<{ successStatus?: 201 }>;

const t = initTRPC
  .context<Context>()
  .meta<Meta>()
  .create({
    transformer: superjson,
    // Never put stack traces on the wire, whatever NODE_ENV says.
    isDev: false,
    // The one place an error becomes tRPC's wire form: Mayfly's code, message and details in
    // `data`, and for Mayfly's own errors the tRPC code and HTTP status their code stands for.
    errorFormatter({ shape, error, ctx }) {
      const described = describeError(error);
      const own = error.cause instanceof MayflyError;
      const key = own ? trpcCodeFor(described.status) : shape.data.code;
      return {
        message: described.message,
        code: own ? TRPC_ERROR_CODES_BY_KEY[key] : shape.code,
        data: {
          code: key,
          httpStatus: own ? getHTTPStatusCodeFromError(new TRPCError({ code: key })) : shape.data.httpStatus,
          path: shape.data.path,
          error_code: described.code,
          details: described.details,
          request_id: ctx?.requestId,
        },
      };
    },
  });

// One middleware per kind of procedure: every level of tRPC middleware costs object copies
// on each call.

/** Any procedure: its input is checked for text Mayfly refuses to keep. */
const checkedInput = t.middleware(async ({ getRawInput, next }) => {
  await rejectBadInput(getRawInput);
  return next();
});

/** Tenant-scoped procedures: the edge has resolved `X-App-ID`, so `ctx.tenant` is a string. */
const tenantOnly = t.middleware(async ({ ctx, type, getRawInput, next }) => {
  if (ctx.tenant === null) throw new Error('tenant procedure reached without a tenant');
  await rejectBadInput(getRawInput);
  // Reads and writes per second on the operator's dashboard (admin.traffic).
  ctx.services.metrics.procedureCalls.inc({ kind: type });
  return next({ ctx: { tenant: ctx.tenant } });
});

/** Admin procedures: `Authorization: Bearer <ADMIN_TOKEN>`, compared in constant time, or a dashboard session the edge verified. */
const adminOnly = t.middleware(async ({ ctx, getRawInput, next }) => {
  await rejectBadInput(getRawInput);
  const adminToken = ctx.services.config.ADMIN_TOKEN;
  if (!adminToken) throw new MayflyError('FORBIDDEN', 'the admin API is disabled: set ADMIN_TOKEN to enable it');
  if (ctx.adminSession === true) return next();
  const given = bearer(ctx.authorization);
  if (!given || !constantTimeEqual(given, adminToken)) {
    throw new MayflyError('UNAUTHORIZED', 'admin procedures need Authorization: Bearer <ADMIN_TOKEN>');
  }
  return next();
});

/** The input of a procedure that takes none: nothing, or an empty object (a REST query string with a field in it is refused). */
export const noInput = z.strictObject({}).optional();

export const router = t.router;
export const mergeRouters = t.mergeRouters;
export const createCallerFactory = t.createCallerFactory;
/** No tenant needed (health-like procedures). */
export const publicProcedure = t.procedure.use(checkedInput);
/** Every module's procedures: `ctx.tenant` is the calling app. */
export const tenantProcedure = t.procedure.use(tenantOnly);
/** Operator procedures (no X-App-ID). */
export const adminProcedure = t.procedure.use(adminOnly);
