import { Hono } from 'hono';
import { cors } from 'hono/cors';
import { requestId } from 'hono/request-id';
import { secureHeaders } from 'hono/secure-headers';
import type { Logger } from '../platform/logger.ts';
import type { Metrics } from '../platform/metrics.ts';
import { appRouter } from '../modules/index.ts';
import type { Services } from '../trpc/context.ts';
import { describeError, errorResponse } from './errors.ts';
import { allowedMethods } from './middleware/allowed-methods.ts';
import { apiCalls } from './middleware/api-calls.ts';
import { bodyLimit } from './middleware/body-limit.ts';
import { idempotency } from './middleware/idempotency.ts';
import type { InFlightRequests } from './middleware/in-flight.ts';
import { liveSubscriptions } from './middleware/live-subscriptions.ts';
import { trustedProxies } from './middleware/client-address.ts';
import { bearer, constantTimeEqual } from '../platform/credentials.ts';
import { MayflyError } from '../platform/errors.ts';
import { databaseCounter, memoryCounter } from './middleware/rate-counters.ts';
import { addressRateLimit, appRateLimit } from './middleware/rate-limit.ts';
import { RefusalPacer, refusalPacing } from './middleware/refusal-pacing.ts';
import { requestLog } from './middleware/request-log.ts';
import { openAdmission, registeredAdmission, tenantGate, type TenantAdmission } from './middleware/tenant-gate.ts';
import { REST_PREFIX, restMethods, restRoutes, TRPC_PREFIX, trpcMethods } from './procedures.ts';
import { dashboardMethods, dashboardRoutes } from './admin/routes.ts';
import { adminSession } from './admin/session.ts';
import { docsRoutes, isDocsPath } from './routes/docs.ts';
import { procedureContext } from './routes/procedure-context.ts';
import { restHandler } from './routes/rest.ts';
import { trpcHandlers } from './routes/trpc.ts';

export const VERSION = '0.1.0';

/** The pages outside the API: GET only. */
const SITE_PATHS = new Set(['/', '/health', '/metrics']);

export interface AppDeps {
  services: Services;
  log: Logger;
  metrics: Metrics;
  /** Who may call the API; by default what `TENANCY` says. */
  admission?: TenantAdmission;
  /** Counts the requests being handled, for a stop that waits for them. */
  inFlight?: InFlightRequests;
}

/** The HTTP edge: what every request goes through, then health, metrics, docs, tRPC at /trpc and its REST twin at /api/v1. */
export function createApp(deps: AppDeps) {
  const { services, log, metrics } = deps;
  const { config } = services;
  const admission = deps.admission ?? (config.TENANCY === 'registered' ? registeredAdmission(services.tenants, services.secretKey) : openAdmission);
  // One process (embedded PGlite) counts in memory; a deployment of several shares Postgres.
  const proxies = trustedProxies(config.TRUSTED_PROXIES);
  const limits = { counter: services.db.kind === 'pg' ? databaseCounter(services.db) : memoryCounter(), configured: config.RATE_LIMITS, now: services.now, trustedProxies: proxies };
  const routes = restRoutes(appRouter);
  const procedureTypes = new Map(Object.entries(appRouter._def.procedures as unknown as Record<string, { _def: { type: string } }>).map(([name, p]) => [name, p._def.type]));
  const procedures = new Set(procedureTypes.keys());
  const context = procedureContext(services, log);
  const app = new Hono();

  app.use(requestId({ headerName: 'X-Request-ID' }));
  if (deps.inFlight) app.use(deps.inFlight.middleware());
  // Outside the access log: a held refusal is logged with the time it took to decide.
  if (config.REFUSAL_DELAY_MS > 0) {
    app.use(refusalPacing({ pacer: new RefusalPacer(config.REFUSAL_DELAY_MS), procedures, trustedProxies: proxies, onHeld: () => metrics.refusalsHeld.inc() }));
  }
  app.use(requestLog({ log, metrics, procedures, tenantLabel: (t) => services.tenants.metricsLabel(t) }));
  app.use(secureHeaders({ crossOriginResourcePolicy: 'same-site' }));
  if (config.CORS_ORIGINS.length > 0) {
    app.use(
      cors({
        origin: config.CORS_ORIGINS,
        allowHeaders: ['X-App-ID', 'Authorization', 'Content-Type', 'Idempotency-Key', 'X-Request-ID', 'trpc-accept'],
        exposeHeaders: ['X-Request-ID', 'Retry-After', 'RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset', 'Idempotent-Replayed'],
        maxAge: 600,
      }),
    );
  }
  app.use(bodyLimit(config.BODY_LIMIT_BYTES));
  app.use(apiCalls(routes));
  app.use(
    allowedMethods((c) => {
      const path = c.req.path;
      if (path.startsWith(`${TRPC_PREFIX}/`)) return trpcMethods(appRouter, c.get('calls'));
      if (path.startsWith(`${REST_PREFIX}/`)) return restMethods(routes, path.slice(REST_PREFIX.length));
      return SITE_PATHS.has(path) || isDocsPath(path) ? ['GET'] : dashboardMethods(path);
    }),
  );
  // The operator's dashboard signs in with ADMIN_TOKEN once and then calls the admin procedures with a session cookie.
  const sessionKeys = () => (config.ADMIN_TOKEN ? { secretKey: services.secretKey, adminToken: config.ADMIN_TOKEN } : undefined);
  const isSubscription = (p: string) => procedureTypes.get(p) === 'subscription';
  for (const api of [TRPC_PREFIX, REST_PREFIX]) {
    app.use(`${api}/*`, adminSession(sessionKeys, services.now), tenantGate(admission, isSubscription), appRateLimit({ ...limits, tenants: services.tenants, log, procedures }), idempotency(services.db, services.now));
  }
  app.use(`${TRPC_PREFIX}/*`, liveSubscriptions({ perApp: config.SSE_MAX_PER_APP, tenants: services.tenants, isSubscription }));

  app.get('/', (c) => c.json({ name: 'mayfly', version: VERSION, docs: '/docs', openapi: '/openapi.json', health: '/health' }));
  app.get('/health', addressRateLimit(limits, 'health'), (c) => c.json({ status: 'ok' }));
  app.get('/metrics', async (c) => {
    const token = config.METRICS_TOKEN;
    const given = bearer(c.req.header('authorization'));
    if (token && (!given || !constantTimeEqual(given, token))) throw new MayflyError('UNAUTHORIZED', 'metrics need Authorization: Bearer <METRICS_TOKEN>');
    c.header('Content-Type', metrics.registry.contentType);
    return c.body(await metrics.registry.metrics());
  });
  docsRoutes(app, appRouter, VERSION);
  dashboardRoutes(app, { keys: sessionKeys, limits, now: services.now });
  app.use(`${TRPC_PREFIX}/*`, ...trpcHandlers(appRouter, context, log));
  app.all(`${REST_PREFIX}/*`, restHandler(appRouter, routes, context));

  app.notFound((c) => errorResponse(c, { status: 404, code: 'NOT_FOUND', message: `no route for ${c.req.method} ${c.req.path}` }));
  app.onError((err, c) => errorResponse(c, describeError(err), err));
  return app;
}
