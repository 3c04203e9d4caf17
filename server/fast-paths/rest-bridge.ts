import { TRPCError, type AnyRouter } from '@trpc/server';
import { createOpenApiNodeHttpHandler } from 'trpc-to-openapi';
/** What the REST twin needs to know about the request it is answering. */
export interface RestCall<Context = unknown> {
  context: Context;
  /** The tRPC error a failed call ended in, for the error envelope. */
  error?: TRPCError;
  /** Status for a successful call (201 for creations). */
  successStatus: number;
}

/**
 * The REST twin's handler, built ONCE. trpc-to-openapi's own fetch adapter builds a new
 * handler for every request, which re-indexes every procedure (and, outside
 * NODE_ENV=production, regenerates the whole OpenAPI document): about 10 ms per call here.
 * This adapter keeps its request shape: a Request whose `body` is the parsed JSON (or throws
 * PARSE_ERROR) and whose `url` has the endpoint stripped. `refuseBody` checks the body's text
 * before it is parsed: an error it returns fails the call with BAD_REQUEST, the error its cause.
 */
export function createRestBridge(router: AnyRouter, refuseBody?: (text: string) => Error | undefined) {
  const calls = new WeakMap<object, RestCall<unknown>>();
  // Its option types are written for Node's IncomingMessage; the request here is a fetch
  // Request, which the handler supports at run time (it checks `instanceof Request`).
  const options: unknown = {
    router,
    createContext: ({ req }: { req: object }) => calls.get(req)!.context,
    onError: ({ error, req }: { error: TRPCError; req: object }) => {
      const call = calls.get(req);
      if (call) call.error = error;
    },
  };
  const handler = createOpenApiNodeHttpHandler(options as Parameters<typeof createOpenApiNodeHttpHandler>[0]) as unknown as (
    req: object,
    res: object,
  ) => Promise<void>;

  /** Answers `raw` (the path below `endpoint`) as the REST twin would. */
  return async function handle<Context>(raw: Request, subPathAndQuery: string, bodyText: () => Promise<string>, call: RestCall<Context>): Promise<Response> {
    let body: { ok: true; value: unknown } | { ok: false; error: TRPCError } = { ok: true, value: undefined };
    let headers = raw.headers;
    const contentType = raw.headers.get('content-type') ?? '';
    if (raw.method !== 'GET' && raw.method !== 'HEAD' && raw.method !== 'DELETE') {
      const text = await bodyText();
      const refused = refuseBody?.(text);
      if (refused) body = { ok: false, error: new TRPCError({ code: 'BAD_REQUEST', message: refused.message, cause: refused }) };
      else if (text === '' && contentType === '') {
        // A POST with nothing to say (rotate-key): an empty JSON object, not a 415.
        headers = new Headers(raw.headers);
        headers.set('content-type', 'application/json');
        body = { ok: true, value: {} };
      } else if (contentType.includes('application/json')) {
        try {
          body = { ok: true, value: JSON.parse(text) };
        } catch (cause) {
          body = { ok: false, error: new TRPCError({ code: 'PARSE_ERROR', message: 'Failed to parse request body', cause }) };
        }
      }
    }
    const req = new Proxy(raw, {
      get(target, prop) {
        if (prop === 'url') return `http://localhost${subPathAndQuery}`;
        if (prop === 'headers') return headers;
        if (prop === 'body') {
          if (!body.ok) throw body.error;
          return body.value;
        }
        return Reflect.get(target, prop, target) as unknown;
      },
    });
    calls.set(req, call);
    return new Promise<Response>((resolve) => {
      const headers = new Headers();
      let status = 200;
      const res = {
        setHeader(key: string, value: string | string[]) {
          for (const v of Array.isArray(value) ? value : [value]) headers.append(key, v);
        },
        get statusCode() {
          return status;
        },
        set statusCode(code: number) {
          status = code;
        },
        end(text?: string) {
          if (status === 200 && !call.error) status = call.successStatus;
          resolve(new Response(text ?? null, { status, headers }));
        },
      };
      handler(req, res).catch((cause: unknown) => {
        call.error = new TRPCError({ code: 'INTERNAL_SERVER_ERROR', cause });
        resolve(new Response(null, { status: 500 }));
      });
    });
  };
}
