import type { Context as HonoContext, MiddlewareHandler } from 'hono';
import { trpcServer } from '@hono/trpc-server';
import type { AnyTRPCRouter, TRPCError } from '@trpc/server';
import { trpcMutations } from '../../fast-paths/trpc-mutations.ts';
import type { Logger } from '../../platform/logger.ts';
import type { Context } from '../../trpc/context.ts';
import { describeError } from '../../trpc/errors.ts';
import { logServerError } from '../errors.ts';
import { MAX_BATCH_SIZE, TRPC_PREFIX } from '../procedures.ts';

/**
 * tRPC at `/trpc`: every POSTed JSON mutation (single or batched, every write of a TypeScript
 * client) on the lean handler (server/fast-paths), the rest (queries, subscriptions, streamed
 * batches) on tRPC's own fetch handler. Both answer alike, `Retry-After` included.
 */
export function trpcHandlers(router: AnyTRPCRouter, context: (c: HonoContext) => Context, log: Logger): MiddlewareHandler[] {
  const onError = ({ error, path, ctx }: { error: TRPCError; path?: string; ctx?: unknown }) =>
    logServerError(error, path, (ctx as Context | undefined)?.log ?? log);
  const retryAfter = (errors: TRPCError[]) => {
    const retry = errors.map((e) => describeError(e).retryAfter).find((r) => r !== undefined);
    return retry === undefined ? undefined : { 'Retry-After': String(retry) };
  };
  return [
    trpcMutations({ router, endpoint: TRPC_PREFIX, createContext: context, onError, responseHeaders: retryAfter }),
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
