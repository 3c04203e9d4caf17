import type { Context as HonoContext, MiddlewareHandler } from 'hono';
import {
  getTRPCErrorFromUnknown,
  getTRPCErrorShape,
  transformTRPCResponse,
  TRPCError,
  type AnyTRPCProcedure,
  type AnyTRPCRouter,
} from '@trpc/server';
import { getHTTPStatusCode } from '@trpc/server/http';

export interface MutationHandlerOptions<TContext> {
  router: AnyTRPCRouter;
  /** Where tRPC is mounted, e.g. `/trpc`. */
  endpoint: string;
  createContext: (c: HonoContext) => TContext;
  /** As tRPC's `onError`: called once per failed call. */
  onError?: (opts: { error: TRPCError; path: string | undefined; ctx: TContext; type: 'mutation' }) => void;
  /** Extra response headers for a response with these errors (as tRPC's `responseMeta`). */
  responseHeaders?: (errors: TRPCError[]) => Record<string, string> | undefined;
  /** Checks the body's text before it is parsed: an error refuses every call (BAD_REQUEST, the error as its cause). */
  refuseBody?: (text: string) => Error | undefined;
}

type CallResult = [error: TRPCError, data: undefined] | [error: undefined, data: unknown];

/**
 * tRPC's HTTP protocol for the request that carries every write of a TypeScript client: a
 * POST of JSON-encoded mutations, single (`httpLink`) or batched (`httpBatchLink`,
 * `?batch=1`). It answers as tRPC's own fetch handler does, with the same bodies, error shapes,
 * status codes (207 for a mixed batch) and headers, and calls the same procedures with the same
 * middleware, but at a fraction of the CPU: no fetch `Request` is materialised and no
 * AbortSignals are created and combined per call (on Node 20 those and tRPC's down-levelled
 * object spreads are most of a call's cost). test/trpc-mutations.test.ts sends the same
 * requests through both and compares them.
 *
 * Everything else falls through to the standard handler (`next()`): queries, subscriptions,
 * streamed batches (`trpc-accept`), other content types, query parameters other than
 * `batch=1`, encoded or unknown paths, and any batch that is not all mutations.
 */
export function trpcMutations<TContext>(opts: MutationHandlerOptions<TContext>): MiddlewareHandler {
  const config = opts.router._def._config as Parameters<typeof transformTRPCResponse>[0];
  const procedures = opts.router._def.procedures as Record<string, AnyTRPCProcedure | undefined>;
  const prefix = `${opts.endpoint}/`;

  return async (c, next) => {
    if (c.req.method !== 'POST' || c.req.header('trpc-accept') !== undefined || !isJson(c.req.header('content-type'))) {
      return next();
    }
    const url = c.req.url;
    const q = url.indexOf('?');
    const search = q === -1 ? '' : url.slice(q + 1);
    if (search !== '' && search !== 'batch=1') return next();
    const isBatch = search === 'batch=1';
    const pathname = c.req.path;
    if (!pathname.startsWith(prefix) || pathname.includes('%')) return next();
    const paths = isBatch ? pathname.slice(prefix.length).split(',') : [pathname.slice(prefix.length)];
    const calls = paths.map((path) => procedures[path]);
    if (!calls.every((p) => p?._def.type === 'mutation')) return next();

    // The body is read and decoded once, on the first call that asks for its input; a body
    // that does not parse fails each call with BAD_REQUEST, as in tRPC's handler.
    let inputs: Promise<Record<number, unknown>> | undefined;
    let decoded: Record<number, unknown> | undefined;
    const readInputs = () =>
      (inputs ??= (async () => {
        try {
          const body = await c.req.text();
          const refused = opts.refuseBody?.(body);
          if (refused) throw new TRPCError({ code: 'BAD_REQUEST', message: refused.message, cause: refused });
          const raw: unknown = body ? JSON.parse(body) : undefined;
          const acc = Object.create(null) as Record<number, unknown>;
          if (raw !== undefined) {
            if (!isBatch) acc[0] = config.transformer.input.deserialize(raw);
            else if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
              throw new TRPCError({ code: 'BAD_REQUEST', message: '"input" needs to be an object when doing a batch call' });
            } else {
              for (let i = 0; i < paths.length; i++) {
                const input = (raw as Record<number, unknown>)[i];
                if (input !== undefined) acc[i] = config.transformer.input.deserialize(input);
              }
            }
          }
          decoded = acc;
          return acc;
        } catch (cause) {
          if (cause instanceof TRPCError) throw cause;
          throw new TRPCError({ code: 'BAD_REQUEST', message: cause instanceof Error ? cause.message : 'Invalid input', cause });
        }
      })());

    const ctx = opts.createContext(c);
    const results = await Promise.all(
      calls.map(async (procedure, index): Promise<CallResult> => {
        const path = paths[index]!;
        try {
          const data: unknown = await procedure!({
            path,
            getRawInput: async () => (await readInputs())[index],
            ctx,
            type: 'mutation',
            signal: undefined,
            batchIndex: index,
          });
          return [undefined, data];
        } catch (cause) {
          const error = getTRPCErrorFromUnknown(cause);
          opts.onError?.({ error, path, ctx, type: 'mutation' });
          return [error, undefined];
        }
      }),
    );

    // What each error's shape names (the call's path and input), as in tRPC's handler.
    const about: { path: string | undefined; input: unknown }[] = paths.map((path, index) => ({ path, input: decoded?.[index] }));
    // A result tRPC can only stream fails as in tRPC's handler: in a batch, that call alone (not
    // reported to onError); alone, the whole request, naming no path or input.
    for (let i = 0; i < results.length; i++) {
      if (results[i]![0] || !isDataStream(results[i]![1])) continue;
      const error = new TRPCError({ code: 'UNSUPPORTED_MEDIA_TYPE', message: 'Cannot use stream-like response in non-streaming request - use httpBatchStreamLink' });
      results[i] = [error, undefined];
      if (!isBatch) {
        opts.onError?.({ error, path: undefined, ctx, type: 'mutation' });
        about[i] = { path: undefined, input: undefined };
      }
    }
    const untransformed = results.map(([error, data], index) =>
      error ? { error: getTRPCErrorShape({ config, ctx, error, ...about[index]!, type: 'mutation' }) as unknown } : { result: { data } },
    );
    const errors = results.map(([error]) => error).filter((e): e is TRPCError => e !== undefined);
    const headers = new Headers([
      ['vary', 'trpc-accept, accept'],
      ['content-type', 'application/json'],
    ]);
    for (const [name, value] of Object.entries(opts.responseHeaders?.(errors) ?? {})) headers.append(name, value);
    const status = getHTTPStatusCode(untransformed as never, results.map(([error]) => error));
    const body = isBatch ? transformTRPCResponse(config, untransformed as never) : transformTRPCResponse(config, untransformed[0] as never);
    return new Response(JSON.stringify(body), { status, headers });
  };
}

/** `application/json`, with any parameters, in any case (as tRPC matches it). */
function isJson(contentType: string | undefined): boolean {
  return contentType !== undefined && contentType.split(';', 1)[0]!.trim().toLowerCase() === 'application/json';
}

const isAsyncIterable = (v: unknown): boolean =>
  v !== null && typeof v === 'object' && typeof (v as Record<symbol, unknown>)[Symbol.asyncIterator] === 'function';
const isPromise = (v: unknown): boolean => v !== null && typeof v === 'object' && typeof (v as { then?: unknown }).then === 'function';

/** What tRPC refuses to put in a plain JSON response: a stream, or an object holding one or a promise. */
function isDataStream(v: unknown): boolean {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  if (isAsyncIterable(v)) return true;
  const values = Object.values(v);
  return values.some(isPromise) || values.some(isAsyncIterable);
}
