import type { Context as HonoContext, MiddlewareHandler } from 'hono';
import { trpcServer } from '@hono/trpc-server';
import type { AnyTRPCRouter, TRPCError } from '@trpc/server';
import { trpcMutations } from '../../fast-paths/trpc-mutations.ts';
import type { Logger } from '../../platform/logger.ts';
import { deepBodyRefusal } from '../../platform/values.ts';
import type { Context } from '../../trpc/context.ts';
import { describeError, noteError } from '../errors.ts';
import { MAX_BATCH_SIZE, TRPC_PREFIX } from '../procedures.ts';
import { requestOf } from './procedure-context.ts';

/**
 * tRPC at `/trpc`: every POSTed JSON mutation (single or batched, every write of a TypeScript
 * client) on the lean handler (server/fast-paths), the rest (queries, subscriptions, streamed
 * batches) on tRPC's own fetch handler. Both answer alike, `Retry-After` included.
 */
export function trpcHandlers(router: AnyTRPCRouter, context: (c: HonoContext) => Context, log: Logger): MiddlewareHandler[] {
  // Noted for the request's access-log line (its stack only for a 500). A subscription fails
  // after that line is written: the server's own failures get a line of their own then.
  const onError = ({ error, path, ctx }: { error: TRPCError; path?: string; ctx?: unknown }) => {
    const c = requestOf(ctx);
    const described = describeError(error);
    if (c && !c.get('accessLogged')) noteError(c, described, error);
    else if (described.status >= 500) {
      const fields = { err: error.cause ?? error, path, error_code: described.code };
      if (described.code === 'INTERNAL_SERVER_ERROR') ((ctx as Context | undefined)?.log ?? log).error(fields, 'procedure failed');
      else ((ctx as Context | undefined)?.log ?? log).warn({ path, error_code: described.code, error: described.message }, 'procedure refused');
    }
  };
  const retryAfter = (errors: TRPCError[]) => {
    const retry = errors.map((e) => describeError(e).retryAfter).find((r) => r !== undefined);
    return retry === undefined ? undefined : { 'Retry-After': String(retry) };
  };
  return [
    trpcMutations({ router, endpoint: TRPC_PREFIX, createContext: context, onError, responseHeaders: retryAfter, refuseBody: deepBodyRefusal }),
    trpcServer({
      router,
      endpoint: TRPC_PREFIX,
      maxBatchSize: MAX_BATCH_SIZE,
      createContext: (_opts, c) => context(c) as unknown as Record<string, unknown>,
      onError,
      responseMeta: ({ errors }) => {
        const headers = retryAfter(errors);
        return headers ? { headers: new Headers(headers) } : {};
      },
    }),
  ];
}
