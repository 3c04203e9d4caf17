import type { Logger } from '../platform/logger.ts';
import 'hono/request-id';

declare module 'hono' {
  // What the edge's middleware learns about a request, typed once for every handler.
  interface ContextVariableMap {
    /** The procedures the request calls (a tRPC batch: several; a route outside the API: none). */
    calls: readonly string[];
    /** The calling app, once the tenant gate has admitted it; null outside the API and for admin calls. */
    tenant: string | null;
    /** The request's logger (request id and tenant on every line), made on first use. */
    log: Logger | undefined;
  }
}
