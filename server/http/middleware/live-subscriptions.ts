import type { MiddlewareHandler } from 'hono';
import type { TenantRegistry } from '../../../consumers/tenant-registry.ts';
import { MayflyError } from '../../platform/errors.ts';
import '../variables.ts';

/** Open live subscriptions one instance serves at most, whatever the apps. */
export const SSE_MAX_PER_INSTANCE = 1_000;

/**
 * The live subscriptions (SSE) an instance serves, per app: at most `perApp` each and
 * {@link SSE_MAX_PER_INSTANCE} in all.
 */
export class Subscriptions {
  readonly #byApp = new Map<string, Set<AbortController>>();
  #open = 0;

  constructor(private readonly perApp: number) {}

  /** Ends every open subscription of `appId` (its key changed, or it was removed). */
  endAll(appId: string): void {
    for (const c of this.#byApp.get(appId) ?? []) c.abort();
  }

  /** A slot for a new subscription of `appId` (429 beyond its share): its signal aborts when it must end; `release` once it has. */
  open(appId: string): { signal: AbortSignal; release: () => void } {
    const mine = this.#byApp.get(appId) ?? new Set<AbortController>();
    if (mine.size >= this.perApp) {
      throw new MayflyError('TOO_MANY_REQUESTS', `this app has ${mine.size} live subscriptions open on this instance, the most it may; close one first`, { retryAfter: 5 });
    }
    if (this.#open >= SSE_MAX_PER_INSTANCE) throw new MayflyError('TOO_MANY_REQUESTS', 'this instance serves no more live subscriptions now; retry shortly', { retryAfter: 5 });
    const c = new AbortController();
    mine.add(c);
    this.#byApp.set(appId, mine);
    this.#open += 1;
    let released = false;
    return {
      signal: c.signal,
      release: () => {
        if (released) return;
        released = true;
        mine.delete(c);
        if (mine.size === 0) this.#byApp.delete(appId);
        this.#open -= 1;
      },
    };
  }

  /** How many are open (of one app). */
  count(appId?: string): number {
    return appId === undefined ? this.#open : (this.#byApp.get(appId)?.size ?? 0);
  }
}

/**
 * Bounds live subscriptions: a request that opens one (a tRPC subscription) takes a slot of
 * its app's share or is refused with 429 before anything streams; the slot is given back when
 * the stream ends (the client left, or the server ended it). When the registry says an app's
 * key was rotated or the app removed, its open streams are ended at once: a key that stopped
 * working stops streaming too.
 */
export function liveSubscriptions(deps: { perApp: number; tenants: TenantRegistry; isSubscription: (procedure: string) => boolean }): MiddlewareHandler {
  const subs = new Subscriptions(deps.perApp);
  deps.tenants.onChange((event) => {
    if (event.type === 'tenant.key_rotated' || event.type === 'tenant.removed') subs.endAll(event.data.app_id);
  });
  return async (c, next) => {
    const calls = c.get('calls');
    const tenant = c.get('tenant');
    if (tenant === null || calls.length !== 1 || !deps.isSubscription(calls[0]!)) return next();
    const slot = subs.open(tenant);
    try {
      await next();
    } catch (err) {
      slot.release();
      throw err;
    }
    const body = c.res.body;
    if (!body) return slot.release();
    const reader = body.getReader();
    const end = () => {
      slot.release();
      void reader.cancel().catch(() => undefined);
    };
    slot.signal.addEventListener('abort', end, { once: true });
    const stream = new ReadableStream<Uint8Array>({
      async pull(controller) {
        try {
          const { done, value } = await reader.read();
          if (done) {
            slot.release();
            controller.close();
          } else controller.enqueue(value);
        } catch {
          slot.release();
          controller.close();
        }
      },
      cancel() {
        end();
      },
    });
    c.res = new Response(stream, { status: c.res.status, headers: c.res.headers });
  };
}
