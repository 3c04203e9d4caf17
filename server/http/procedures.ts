import type { AnyRouter } from '@trpc/server';
import type { Meta } from '../trpc/trpc.ts';

/** Where the REST twin of the tRPC procedures is mounted. */
export const REST_PREFIX = '/api/v1';

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
