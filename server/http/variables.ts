import type { Logger } from '../platform/logger.ts';
import type { DescribedError } from '../trpc/errors.ts';
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
    /** What the request was refused with (a tRPC batch: one per failed call), for its access-log line. */
    errors: { described: DescribedError; thrown: unknown }[] | undefined;
    /** An admin call authenticated by the dashboard's session cookie (server/http/admin/session.ts). */
    adminSession: boolean | undefined;
    /** Its access-log line is written (a subscription streams on after it). */
    accessLogged: boolean | undefined;
  }
}
