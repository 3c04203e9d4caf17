import type { MiddlewareHandler } from 'hono';
import { matchRoute, REST_PREFIX, TRPC_PREFIX, trpcCalls, type RestRoute } from '../procedures.ts';
import '../variables.ts';

/**
 * Names the procedures a request calls (`calls`), for the tenant gate, rate limits,
 * idempotency and the access log to agree on: a tRPC path read as tRPC reads it, or the REST
 * twin's route.
 */
export function apiCalls(routes: RestRoute[]): MiddlewareHandler {
  return async (c, next) => {
    const path = c.req.path;
    if (path.startsWith(`${TRPC_PREFIX}/`)) c.set('calls', trpcCalls(c.req.url));
    else if (path.startsWith(`${REST_PREFIX}/`)) {
      const route = matchRoute(routes, c.req.method, path.slice(REST_PREFIX.length));
      if (route) c.set('calls', [route.procedure]);
    }
    await next();
  };
}
