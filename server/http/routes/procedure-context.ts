import type { Context as HonoContext } from 'hono';
import type { Logger } from '../../platform/logger.ts';
import type { Context, Services } from '../../trpc/context.ts';
import { requestLogger } from '../middleware/request-log.ts';

const requests = new WeakMap<Context, HonoContext>();

/** The tRPC context of a request, from what the edge learned about it (the same for tRPC and REST). */
export function procedureContext(services: Services, log: Logger): (c: HonoContext) => Context {
  return (c) => {
    const ctx: Context = {
      services,
      requestId: c.get('requestId'),
      tenant: c.get('tenant'),
      authorization: c.req.header('authorization'),
      adminSession: c.get('adminSession') === true,
      get log() {
        return requestLogger(c, log);
      },
    };
    requests.set(ctx, c);
    return ctx;
  };
}

/** The request a tRPC context was made for (tRPC's `onError` knows only the context). */
export function requestOf(ctx: unknown): HonoContext | undefined {
  return typeof ctx === 'object' && ctx !== null ? requests.get(ctx as Context) : undefined;
}
