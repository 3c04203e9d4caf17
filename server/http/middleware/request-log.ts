import type { Context, MiddlewareHandler } from 'hono';
import { TRPCError } from '@trpc/server';
import { MayflyError } from '../../platform/errors.ts';
import type { Logger } from '../../platform/logger.ts';
import type { Metrics } from '../../platform/metrics.ts';
import '../variables.ts';

/** Paths outside the API that get their own metrics label; everything else unknown is `other`. */
const ROUTE_LABELS = new Set(['/', '/health', '/metrics', '/openapi.json', '/docs']);

/** Registries whose latency series are already in place (several apps may share one in tests). */
const primed = new WeakSet<Metrics>();

/**
 * The label of a request, from a closed set whatever a client sends: a procedure of the API,
 * `batch` for a tRPC batch, a route outside the API, or `other` (a junk path must not make a
 * new metrics series).
 */
export function procedureLabel(c: Context, procedures: ReadonlySet<string>): string {
  const calls = c.get('calls');
  if (calls.length > 1) return 'batch';
  if (calls.length === 1) return procedures.has(calls[0]!) ? calls[0]! : 'other';
  return ROUTE_LABELS.has(c.req.path) ? c.req.path : 'other';
}

/** The request's logger, carrying its id and tenant; made only when something logs. */
export function requestLogger(c: Context, base: Logger): Logger {
  let log = c.get('log');
  if (!log) {
    log = base.child({ request_id: c.get('requestId'), tenant: c.get('tenant') ?? undefined });
    c.set('log', log);
  }
  return log;
}

/** What went wrong under the wrappers (tRPC's error, Mayfly's coded error): the error that started it. */
function underneath(thrown: unknown): unknown {
  let e = thrown;
  for (let depth = 0; depth < 5 && (e instanceof TRPCError || e instanceof MayflyError) && e.cause !== undefined; depth++) e = e.cause;
  return e;
}

/** What a request's refusals add to its line: their codes, the first message, and what broke underneath. */
function refusal(c: Context): { fields: Record<string, unknown>; unexpected: unknown } {
  const errors = c.get('errors');
  if (!errors || errors.length === 0) return { fields: {}, unexpected: undefined };
  const first = errors[0]!;
  const internal = errors.find((e) => e.described.code === 'INTERNAL_SERVER_ERROR');
  const cause = first.described.status >= 500 ? underneath(first.thrown) : undefined;
  return {
    fields: {
      error_code: [...new Set(errors.map((e) => e.described.code))].join(','),
      error: first.described.message,
      // An expected refusal's own cause (a broker time-out), as one line: no stack.
      ...(cause instanceof Error && !internal && !(cause instanceof TRPCError || cause instanceof MayflyError) ? { cause: cause.message } : {}),
    },
    unexpected: internal ? underneath(internal.thrown) : undefined,
  };
}

/**
 * The access log and request metrics: one JSON line per request with its id, tenant,
 * procedure, status and duration (never a body), and the request counter and latency
 * histogram. A refused request's line carries its error code and message: `info` for a
 * client's mistake (4xx), `warn` for a refusal the server expected (a 503 for an integration
 * that is not configured, a dependency that is down), `error` with the stack only for what
 * nobody expected (a 500). Responses built by the tRPC and REST handlers get `X-Request-ID` here.
 * Metrics labels come from closed sets: known procedures (else `other`), and a tenant only
 * where `tenantLabel` names it (registered apps), so no client can grow the series.
 */
export function requestLog(deps: { log: Logger; metrics: Metrics; procedures: ReadonlySet<string>; tenantLabel: (tenant: string) => string }): MiddlewareHandler {
  const { log, metrics } = deps;
  // Every label the latency histogram can have, present from the start: the series a scrape
  // sees do not change with the traffic.
  if (!primed.has(metrics)) {
    primed.add(metrics);
    for (const procedure of [...deps.procedures, ...ROUTE_LABELS, 'batch', 'other']) metrics.httpDuration.zero({ procedure });
  }
  return async (c, next) => {
    const started = performance.now();
    c.set('tenant', null);
    c.set('calls', []);
    await next();
    c.res.headers.set('X-Request-ID', c.get('requestId'));
    const seconds = (performance.now() - started) / 1000;
    const tenant = c.get('tenant') ?? '-';
    const procedure = procedureLabel(c, deps.procedures);
    metrics.httpRequests.inc({ tenant: tenant === '-' ? tenant : deps.tenantLabel(tenant), procedure, status: String(c.res.status) });
    metrics.httpDuration.observe({ procedure }, seconds);
    const { fields, unexpected } = refusal(c);
    const line = {
      request_id: c.get('requestId'),
      tenant,
      method: c.req.method,
      path: c.req.path.slice(0, 200),
      procedure,
      status: c.res.status,
      duration_ms: Math.round(seconds * 10_000) / 10,
      ...fields,
    };
    if (unexpected !== undefined) log.error({ ...line, err: unexpected }, 'request');
    else if (c.res.status >= 500) log.warn(line, 'request');
    else log.info(line, 'request');
    c.set('accessLogged', true);
  };
}
