import { initTRPC } from '@trpc/server';
import superjson from 'superjson';
import { ZodError } from 'zod';
import type { OpenApiMeta } from 'trpc-to-openapi';
import type { Context } from './context.ts';
import { describeError } from './http/error-body.ts';
import { checkAdminToken } from './http/admin-auth.ts';

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

/** Tenant-scoped procedures: the edge has resolved `X-App-ID`, so `ctx.tenant` is a string. */
const requireTenant = t.middleware(({ ctx, next }) => {
  if (ctx.tenant === null) throw new Error('tenant procedure reached without a tenant');
  return next({ ctx: { ...ctx, tenant: ctx.tenant } });
});

/** Admin procedures: `Authorization: Bearer <ADMIN_TOKEN>`, compared in constant time. */
const requireAdmin = t.middleware(({ ctx, next }) => {
  checkAdminToken(ctx.services.config.ADMIN_TOKEN, ctx.authorization);
  return next();
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;
/** No tenant needed (health-like procedures). */
export const publicProcedure = t.procedure;
/** Every module's procedures: `ctx.tenant` is the calling app. */
export const tenantProcedure = t.procedure.use(requireTenant);
/** Operator procedures (no X-App-ID). */
export const adminProcedure = t.procedure.use(requireAdmin);
export { ZodError };
