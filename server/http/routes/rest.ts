import type { Context as HonoContext, Handler } from 'hono';
import type { AnyTRPCRouter } from '@trpc/server';
import type { createRestBridge, RestCall } from '../../fast-paths/rest-bridge.ts';
import type { Context } from '../../trpc/context.ts';
import { describeError, errorResponse, type DescribedError } from '../errors.ts';
import { matchRoute, REST_PREFIX, type RestRoute } from '../procedures.ts';
import { keepDeclaredCoercion } from './declared-coercion.ts';
import { deepBodyRefusal } from '../../platform/values.ts';

/** Errors the REST bridge answers without calling a procedure (unknown route, content type). */
function bridgeRefusal(status: number): DescribedError {
  if (status === 404) return { status, code: 'NOT_FOUND', message: 'no such route' };
  if (status === 415) return { status, code: 'UNSUPPORTED_MEDIA_TYPE', message: 'Content-Type must be application/json' };
  if (status === 400) return { status, code: 'BAD_REQUEST', message: 'bad request' };
  return describeError(undefined);
}

/**
 * The REST twin at `/api/v1`: each route calls its procedure through the OpenAPI bridge
 * (server/fast-paths/rest-bridge.ts), errors in the REST envelope. The bridge's library is
 * the largest part of start-up, so it loads after the service is up (requests that arrive
 * first wait for it).
 */
export function restHandler(router: AnyTRPCRouter, routes: RestRoute[], context: (c: HonoContext) => Context): Handler {
  keepDeclaredCoercion(router);
  let bridge: ReturnType<typeof createRestBridge> | undefined;
  const load = async () => (bridge ??= (await import('../../fast-paths/rest-bridge.ts')).createRestBridge(router, deepBodyRefusal));
  // Loaded ahead of the first REST call; a load that fails here (a process stopping while it
  // loads) is tried again by that call, and must not end the process as an unhandled rejection.
  setTimeout(() => void load().catch(() => undefined), 0).unref?.();
  return async (c) => {
    const route = matchRoute(routes, c.req.method, c.req.path.slice(REST_PREFIX.length));
    const url = new URL(c.req.url);
    const call: RestCall<Context> = { context: context(c), successStatus: route?.successStatus ?? 200 };
    const res = await (await load())(c.req.raw, `${url.pathname.slice(REST_PREFIX.length)}${url.search}`, () => c.req.text(), call);
    if (res.ok) return res;
    return errorResponse(c, call.error ? describeError(call.error) : bridgeRefusal(res.status), call.error);
  };
}
