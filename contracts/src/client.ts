import { createTRPCClient, httpBatchLink, type TRPCClient } from '@trpc/client';
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
}

export type MayflyClient = TRPCClient<AppRouter>;

/** A typed tRPC client for Mayfly (superjson, batched requests). */
export function createMayflyClient(opts: MayflyClientOptions): MayflyClient {
  const headers: Record<string, string> = { 'X-App-ID': opts.appId };
  if (opts.appKey) headers.Authorization = `Bearer ${opts.appKey}`;
  return createTRPCClient<AppRouter>({
    links: [
      httpBatchLink({
        url: `${opts.url.replace(/\/$/, '')}/trpc`,
        transformer: superjson,
        headers: () => headers,
        ...(opts.fetch ? { fetch: opts.fetch } : {}),
      }),
    ],
  });
}
