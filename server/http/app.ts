import { Hono, type Context as HonoContext } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { requestId } from 'hono/request-id';
import { secureHeaders } from 'hono/secure-headers';
import { cors } from 'hono/cors';
import { trpcServer } from '@hono/trpc-server';
import { Scalar } from '@scalar/hono-api-reference';
import type { TRPCError } from '@trpc/server';
import type { Context, Services } from '../trpc/context.ts';
import type { Logger } from '../platform/logger.ts';
import type { Metrics } from '../platform/metrics.ts';
import { appRouter } from '../modules/index.ts';
import { registeredAdmission } from './admission.ts';
import { describeError, envelope, type DescribedError } from './error-body.ts';
import type { buildOpenApiDocument } from './openapi.ts';
import { matchRoute, REST_PREFIX, restRoutes } from './procedures.ts';
import type { createRestBridge, RestCall } from '../fast-paths/rest-bridge.ts';
import { idempotency } from './idempotency.ts';
import { trpcMutations } from '../fast-paths/trpc-mutations.ts';
import { databaseCounter, memoryCounter, rateLimit } from './rate-limit.ts';
import { openAdmission, resolveTenant, type TenantAdmission } from './tenant.ts';

export const VERSION = '0.1.0';

type Env = {
  Variables: {
    requestId: string;
    tenant: string | null;
    procedure: string | undefined;
    log: Logger | undefined;
  };
};

export interface AppDeps {
  services: Services;
  log: Logger;
  metrics: Metrics;
  admission?: TenantAdmission;
}

/** The HTTP edge: middleware, health, metrics, docs, tRPC at /trpc and its REST twin at /api/v1. */
export function createApp(deps: AppDeps) {
  const { services, metrics } = deps;
  const admission = deps.admission ?? (services.config.TENANCY === 'registered' ? registeredAdmission(services.tenants, services.secretKey) : openAdmission);
  const routes = restRoutes(appRouter);
  let openapi: ReturnType<typeof buildOpenApiDocument> | undefined;
  const app = new Hono<Env>();
  const procedureOf = (method: string, path: string): string | undefined => {
    if (path.startsWith('/trpc/')) return path.slice('/trpc/'.length) || undefined;
    if (path.startsWith(`${REST_PREFIX}/`)) return matchRoute(routes, method, path.slice(REST_PREFIX.length))?.procedure;
    return undefined;
  };

  const fail = (c: HonoContext<Env>, e: DescribedError) => {
    if (e.retryAfter !== undefined) c.header('Retry-After', String(e.retryAfter));
    return c.json(envelope(e, c.get('requestId')), e.status as 400);
  };

  app.use(requestId({ headerName: 'X-Request-ID' }));
  // Access log and request metrics: one JSON line per request, tenant and request id on it.
  app.use(async (c, next) => {
    const started = performance.now();
    c.set('tenant', null);
    c.set('procedure', procedureOf(c.req.method, c.req.path));
    await next();
    // Responses built by the tRPC and REST handlers do not carry headers set through `c`.
    c.res.headers.set('X-Request-ID', c.get('requestId'));
    const seconds = (performance.now() - started) / 1000;
    const tenant = c.get('tenant') ?? '-';
    const procedure = c.get('procedure') ?? routeLabel(c.req.path);
    metrics.httpRequests.inc({ tenant, procedure, status: String(c.res.status) });
    metrics.httpDuration.observe({ procedure }, seconds);
    deps.log.info(
      {
        request_id: c.get('requestId'),
        tenant,
        method: c.req.method,
        path: c.req.path,
        procedure,
        status: c.res.status,
        duration_ms: Math.round(seconds * 10_000) / 10,
      },
      'request',
    );
  });
  app.use(secureHeaders({ crossOriginResourcePolicy: 'same-site' }));
  if (services.config.CORS_ORIGINS.length > 0) {
    app.use(
      cors({
        origin: services.config.CORS_ORIGINS,
        allowHeaders: ['X-App-ID', 'Authorization', 'Content-Type', 'Idempotency-Key', 'X-Request-ID', 'trpc-accept'],
        exposeHeaders: ['X-Request-ID', 'Retry-After', 'RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset', 'Idempotent-Replayed'],
        maxAge: 600,
      }),
    );
  }
  const maxBody = services.config.BODY_LIMIT_BYTES;
  const tooLarge = (c: HonoContext<Env>) =>
    fail(c, { status: 413, code: 'PAYLOAD_TOO_LARGE', message: `the request body is larger than ${maxBody} bytes` });
  const streamedBodyLimit = bodyLimit({ maxSize: maxBody, onError: (c) => tooLarge(c as HonoContext<Env>) });
  app.use(async (c, next) => {
    // Decided from the headers where they tell: Hono's bodyLimit asks for the request's body
    // stream, which makes the Node adapter build a whole fetch Request for every call. A body
    // without a declared length (chunked, or HTTP/2) is counted as it streams.
    const length = c.req.header('content-length');
    if (length !== undefined && c.req.header('transfer-encoding') === undefined) return Number(length) > maxBody ? tooLarge(c) : next();
    if (c.req.method === 'GET' || c.req.method === 'HEAD' || c.req.method === 'OPTIONS') return next();
    return streamedBodyLimit(c, next);
  });

  // One process (embedded PGlite) counts in memory; a deployment of several shares Postgres.
  const counter = services.db.kind === 'pg' ? databaseCounter(services.db) : memoryCounter();
  const healthLimit = rateLimit({
    counter,
    configured: services.config.RATE_LIMITS,
    now: services.now,
    subject: (c) => ({ owner: `ip:${clientAddress(c)}`, procedures: ['health'] }),
  });
  const tenantGate = async (c: HonoContext<Env>, next: () => Promise<void>) => {
    // Admin procedures are the operator's, not an app's: no X-App-ID (a batch that mixes them
    // with app procedures still needs one).
    if (isAdminPath(c.req.path)) return next();
    // A browser's EventSource can not send headers: its SSE subscription carries the app id
    // (and key) in tRPC's connectionParams, in the URL. Headers win where both are present.
    const params = c.req.header('x-app-id') === undefined ? connectionParams(c.req.query('connectionParams')) : {};
    const tenant = await resolveTenant(
      c.req.header('x-app-id') ?? params.app_id,
      c.req.header('authorization') ?? (params.app_key ? `Bearer ${params.app_key}` : undefined),
      admission,
    );
    c.set('tenant', tenant);
    await next();
  };
  app.use('/trpc/*', tenantGate);
  app.use(`${REST_PREFIX}/*`, tenantGate);
  const appLimit = rateLimit({
    counter,
    configured: services.config.RATE_LIMITS,
    now: services.now,
    subject: (c) => {
      const tenant = (c as HonoContext<Env>).get('tenant');
      const procedure = (c as HonoContext<Env>).get('procedure');
      if (tenant === null || procedure === undefined) return null;
      return { owner: `app:${tenant}`, procedures: procedure.split(','), appLimits: services.tenants.get(tenant)?.rateLimits };
    },
    onStoreError: (err) => deps.log.warn({ err }, 'rate-limit store unavailable; not limiting'),
  });
  app.use('/trpc/*', appLimit);
  app.use(`${REST_PREFIX}/*`, appLimit);
  const idem = idempotency(
    services.db,
    { tenant: (c) => (c as HonoContext<Env>).get('tenant'), procedure: (c) => (c as HonoContext<Env>).get('procedure') },
    services.now,
  );
  app.use('/trpc/*', idem);
  app.use(`${REST_PREFIX}/*`, idem);

  // A request's logger carries its id and tenant; made only when something logs.
  const logOf = (c: HonoContext<Env>): Logger => {
    let log = c.get('log');
    if (!log) {
      log = deps.log.child({ request_id: c.get('requestId'), tenant: c.get('tenant') ?? undefined });
      c.set('log', log);
    }
    return log;
  };
  const contextFor = (c: HonoContext<Env>): Context => ({
    services,
    requestId: c.get('requestId'),
    tenant: c.get('tenant'),
    authorization: c.req.header('authorization'),
    get log() {
      return logOf(c);
    },
  });

  app.get('/', (c) =>
    c.json({ name: 'mayfly', version: VERSION, docs: '/docs', openapi: '/openapi.json', health: '/health' }),
  );
  app.get('/health', healthLimit, (c) => c.json({ status: 'ok' }));
  app.get('/metrics', async (c) => {
    c.header('Content-Type', metrics.registry.contentType);
    return c.body(await metrics.registry.metrics());
  });
  app.get('/openapi.json', async (c) => c.json((openapi ??= (await import('./openapi.ts')).buildOpenApiDocument(appRouter, VERSION))));
  app.get('/docs', Scalar({ url: '/openapi.json', pageTitle: 'Mayfly API' }));

  const onTrpcError = ({ error, path, ctx }: { error: TRPCError; path?: string; ctx?: unknown }) =>
    logServerError(error, path, (ctx as Context | undefined)?.log ?? deps.log);
  const retryAfter = (errors: TRPCError[]) => {
    const retry = errors.map((e) => describeError(e).retryAfter).find((r) => r !== undefined);
    return retry === undefined ? undefined : { 'Retry-After': String(retry) };
  };
  // Every write (POSTed JSON mutations, batched or not) on the lean handler; the rest on tRPC's.
  app.use(
    '/trpc/*',
    trpcMutations({
      router: appRouter,
      endpoint: '/trpc',
      createContext: (c) => contextFor(c as HonoContext<Env>),
      onError: onTrpcError,
      responseHeaders: retryAfter,
    }),
  );
  app.use(
    '/trpc/*',
    trpcServer({
      router: appRouter,
      createContext: (_opts, c) => contextFor(c as HonoContext<Env>) as unknown as Record<string, unknown>,
      onError: onTrpcError,
      responseMeta: ({ errors }) => {
        const headers = retryAfter(errors);
        return headers ? { headers: new Headers(headers) } : {};
      },
    }),
  );

  // The REST twin's library is the largest part of start-up: it loads after the service is
  // up (requests that arrive first wait for it).
  let rest: ReturnType<typeof createRestBridge> | undefined;
  const restBridge = async () => (rest ??= (await import('../fast-paths/rest-bridge.ts')).createRestBridge(appRouter));
  setTimeout(() => void restBridge(), 0).unref();
  app.all(`${REST_PREFIX}/*`, async (c) => {
    const route = matchRoute(routes, c.req.method, c.req.path.slice(REST_PREFIX.length));
    const url = new URL(c.req.url);
    const call: RestCall = { context: contextFor(c), successStatus: route?.successStatus ?? 200 };
    const res = await (await restBridge())(c.req.raw, `${url.pathname.slice(REST_PREFIX.length)}${url.search}`, () => c.req.text(), call);
    if (res.ok) return res;
    if (call.error) logServerError(call.error, route?.procedure, logOf(c));
    return fail(c, call.error ? describeError(call.error) : restFallback(res.status));
  });

  app.notFound((c) => fail(c, { status: 404, code: 'NOT_FOUND', message: `no route for ${c.req.method} ${c.req.path}` }));
  app.onError((err, c) => {
    const described = describeError(err);
    if (described.status >= 500) logOf(c).error({ err }, 'unhandled error');
    return fail(c, described);
  });
  return app;
}

/** The peer address of the connection (Node: the socket; Deno: passed in by serve()). */
function clientAddress(c: HonoContext): string {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } }; remoteAddr?: string } | undefined;
  return env?.incoming?.socket?.remoteAddress ?? env?.remoteAddr ?? 'unknown';
}

function isAdminPath(path: string): boolean {
  if (path.startsWith(`${REST_PREFIX}/admin/`)) return true;
  if (!path.startsWith('/trpc/')) return false;
  const procedures = path.slice('/trpc/'.length).split(',');
  return procedures.length > 0 && procedures.every((p) => p.startsWith('admin.'));
}

/** tRPC connectionParams from the URL (a JSON object of strings), or none. */
function connectionParams(raw: string | undefined): { app_id?: string; app_key?: string } {
  if (!raw || raw.length > 4_096) return {};
  try {
    const v: unknown = JSON.parse(raw);
    if (v === null || typeof v !== 'object') return {};
    const o = v as Record<string, unknown>;
    const str = (x: unknown) => (typeof x === 'string' ? x : undefined);
    return { app_id: str(o.app_id) ?? str(o['X-App-ID']), app_key: str(o.app_key) };
  } catch {
    return {};
  }
}

function logServerError(error: TRPCError, path: string | undefined, log: Logger) {
  if (describeError(error).status >= 500) log.error({ err: error.cause ?? error, path }, 'procedure failed');
}

/** Errors the REST bridge answers without calling a procedure (unknown route, content type). */
function restFallback(status: number): DescribedError {
  if (status === 404) return { status, code: 'NOT_FOUND', message: 'no such route' };
  if (status === 415) return { status, code: 'UNSUPPORTED_MEDIA_TYPE', message: 'Content-Type must be application/json' };
  if (status === 400) return { status, code: 'BAD_REQUEST', message: 'bad request' };
  return describeError(undefined);
}

function routeLabel(path: string): string {
  if (path === '/' || path === '/health' || path === '/metrics' || path === '/openapi.json' || path === '/docs') return path;
  return 'other';
}
