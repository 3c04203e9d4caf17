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
