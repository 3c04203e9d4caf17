import { createTRPCClient, httpBatchLink, httpSubscriptionLink, splitLink, type TRPCClient } from '@trpc/client';
import superjson from 'superjson';
import type { AppRouter } from './router.ts';

export interface MayflyClientOptions {
  /** Base URL of the service, e.g. `http://localhost:8000`. */
  url: string;
  /** Your app id, sent as `X-App-ID`. */
  appId: string;
  /** Your app key, sent as `Authorization: Bearer` (registered tenancy). */
  appKey?: string;
  /** A fetch implementation (defaults to the global one). */
  fetch?: typeof fetch;
  /** An EventSource implementation for subscriptions where there is no global one (Node 20: the `eventsource` package). */
  EventSource?: unknown;
}

export type MayflyClient = TRPCClient<AppRouter>;

/** A typed tRPC client for Mayfly (superjson, batched requests). */
export function createMayflyClient(opts: MayflyClientOptions): MayflyClient {
  const headers: Record<string, string> = { 'X-App-ID': opts.appId };
  if (opts.appKey) headers.Authorization = `Bearer ${opts.appKey}`;
  const url = `${opts.url.replace(/\/$/, '')}/trpc`;
  return createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === 'subscription',
        // EventSource can not send headers: the app id and key travel as connectionParams.
        true: httpSubscriptionLink({
          url,
          transformer: superjson,
          connectionParams: () => ({ app_id: opts.appId, ...(opts.appKey ? { app_key: opts.appKey } : {}) }),
          ...(opts.EventSource ? { EventSource: opts.EventSource as typeof EventSource } : {}),
        }),
        false: httpBatchLink({
          url,
          transformer: superjson,
          headers: () => headers,
          ...(opts.fetch ? { fetch: opts.fetch } : {}),
        }),
      }),
    ],
  });
}
