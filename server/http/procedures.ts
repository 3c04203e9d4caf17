import type { AnyRouter } from '@trpc/server';
import { badRequest } from '../platform/errors.ts';
import type { Meta } from '../trpc/trpc.ts';

/** Where the REST twin of the tRPC procedures is mounted. */
export const REST_PREFIX = '/api/v1';
/** Where tRPC is mounted. */
export const TRPC_PREFIX = '/trpc';
/** The most calls one tRPC batch may hold (tRPC's `maxBatchSize`; more is a 400). */
export const MAX_BATCH_SIZE = 10;

/** A procedure reachable over REST: its tRPC path, HTTP method and route. */
export interface RestRoute {
  procedure: string;
  method: string;
  path: string;
  pattern: RegExp;
  successStatus: number;
}

/** Every procedure of `router` that has a REST twin, from its `meta.openapi`. */
export function restRoutes(router: AnyRouter): RestRoute[] {
  const procs = router._def.procedures as Record<string, { _def: { meta?: Meta } }>;
  const routes: RestRoute[] = [];
  for (const [procedure, p] of Object.entries(procs)) {
    const meta = p._def.meta;
    if (!meta?.openapi) continue;
    const path = meta.openapi.path;
    const pattern = new RegExp(`^${path.replace(/\{[^}]+\}/g, '[^/]+')}/?$`);
    routes.push({ procedure, method: meta.openapi.method, path, pattern, successStatus: meta.successStatus ?? 200 });
  }
  return routes;
}

/** Finds the route for a request under the REST prefix (`/drafts/123`), if any. */
export function matchRoute(routes: RestRoute[], method: string, subPath: string): RestRoute | undefined {
  return routes.find((r) => r.method === method && r.pattern.test(subPath));
}

const METHOD_ORDER = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

/** The methods of the REST routes at a path under the REST prefix (`/drafts`: GET, POST), or undefined for none. */
export function restMethods(routes: RestRoute[], subPath: string): string[] | undefined {
  const methods = routes.filter((r) => r.pattern.test(subPath)).map((r) => r.method);
  return methods.length > 0 ? METHOD_ORDER.filter((m) => methods.includes(m)) : undefined;
}

/**
 * The one method that serves every call of a tRPC request: GET for queries and subscriptions,
 * POST for mutations. Undefined when a call is unknown (tRPC answers 404) or a batch mixes both
 * (tRPC answers each call).
 */
export function trpcMethods(router: AnyRouter, calls: readonly string[]): string[] | undefined {
  const procs = router._def.procedures as Record<string, { _def: { type: string } } | undefined>;
  const methods = new Set(calls.map((call) => {
    const type = procs[call]?._def.type;
    return type === undefined ? undefined : type === 'mutation' ? 'POST' : 'GET';
  }));
  const [only] = methods;
  return methods.size === 1 && only !== undefined ? [only] : undefined;
}

const trimSlashes = (s: string) => s.replace(/^\/+|\/+$/g, '');

/**
 * The procedures a tRPC request calls, read from its URL exactly as tRPC reads it: the path
 * after the endpoint, percent-decoded, split at commas for a batch (`?batch=1`). An encoded
 * comma is a batch too, so limits and the tenant gate count what tRPC will call.
 */
export function trpcCalls(url: string): string[] {
  const q = url.indexOf('?');
  const pathname = new URL(url).pathname;
  const raw = trimSlashes(trimSlashes(pathname).slice(trimSlashes(TRPC_PREFIX).length));
  let path: string;
  try {
    path = decodeURIComponent(raw);
  } catch {
    throw badRequest(`Invalid URL-encoding in path "${raw}"`);
  }
  const batch = q !== -1 && new URLSearchParams(url.slice(q + 1)).get('batch') === '1';
  if (!batch) return [path];
  const calls = path.split(',');
  if (calls.length > MAX_BATCH_SIZE) throw badRequest(`a batch holds at most ${MAX_BATCH_SIZE} calls`);
  return calls;
}
