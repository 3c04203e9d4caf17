import { DeliverPolicy, type ConsumerMessages } from '@nats-io/jetstream';
import { STREAMS, type RateLimits, type TenantEvent } from '@mayfly/contracts';
import type { Logger } from '../server/platform/logger.ts';
import type { Broker } from '../server/platform/nats/connect.ts';
import { decodeEvent } from '../server/platform/events/decode.ts';

/** What an instance knows about one registered app. */
export interface TenantRecord {
  appId: string;
  keyHash: string;
  rateLimits: RateLimits | undefined;
  /** The Apple bundle ids the app owns (APNs topics, receipts it may verify). */
  bundleIds: readonly string[];
  registeredAt: string;
}

/** Applies one registry event to the view. */
export function evolveTenants(view: Map<string, TenantRecord>, event: TenantEvent): void {
  switch (event.type) {
    case 'tenant.registered':
      view.set(event.data.app_id, {
        appId: event.data.app_id,
        keyHash: event.data.key_hash,
        rateLimits: event.data.rate_limits,
        bundleIds: event.data.bundle_ids ?? [],
        registeredAt: event.occurred_at,
      });
      return;
    case 'tenant.updated': {
      const t = view.get(event.data.app_id);
      if (!t) return;
      const { rate_limits: rateLimits, bundle_ids: bundleIds } = event.data;
      view.set(t.appId, { ...t, ...(rateLimits === undefined ? {} : { rateLimits }), ...(bundleIds === undefined ? {} : { bundleIds }) });
      return;
    }
    case 'tenant.key_rotated': {
      const t = view.get(event.data.app_id);
      if (t) view.set(t.appId, { ...t, keyHash: event.data.key_hash });
      return;
    }
    case 'tenant.removed':
      view.delete(event.data.app_id);
      return;
    default: {
      const _never: never = event;
      return _never;
    }
  }
}

/**
 * Every instance's live view of the registered apps: the TENANTS stream (kept for ever)
 * replayed from the start at boot, then followed. A rotated or removed key stops working on
 * every instance as soon as the event reaches it (pushed, within milliseconds).
 */
export class TenantRegistry {
  readonly #view = new Map<string, TenantRecord>();
  readonly #waiters = new Set<{ seq: number; resolve: () => void }>();
  readonly #listeners = new Set<(event: TenantEvent) => void>();
  #lastSeq = 0;
  #messages: ConsumerMessages | undefined;

  constructor(
    private readonly broker: Broker,
    private readonly log: Logger,
  ) {}

  /** Loads the whole registry, then keeps following it. */
  async start(): Promise<void> {
    const stream = STREAMS.TENANTS.name;
    // Not `last_seq`: a tenant purge may have removed that message, and no consumer delivers a
    // removed message, so waiting for it would fail every later start. Wait for the newest one stored.
    const { state } = await this.broker.jsm.streams.info(stream);
    const last = state.messages === 0 ? 0 : ((await this.broker.jsm.direct.getMessage(stream, { last_by_subj: `${STREAMS.TENANTS.prefix}.>` }))?.seq ?? 0);
    const consumer = await this.broker.js.consumers.get(stream, { deliver_policy: DeliverPolicy.All });
    this.#messages = await consumer.consume({
      callback: (m) => {
        const event = decodeEvent(m.data);
        if (event?.type.startsWith('tenant.')) {
          evolveTenants(this.#view, event as TenantEvent);
          for (const listener of this.#listeners) listener(event as TenantEvent);
        } else this.log.warn({ seq: m.seq }, 'skipping a TENANTS message that is not a registry event');
        this.#lastSeq = m.seq;
        for (const w of this.#waiters) if (w.seq <= m.seq) w.resolve();
      },
    });
    await this.waitFor(last, 30_000);
  }

  stop(): void {
    void this.#messages?.stop();
  }

  /** Calls `listener` with every registry event from now on (a key rotated, an app removed); returns how to stop. */
  onChange(listener: (event: TenantEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }

  get(appId: string): TenantRecord | undefined {
    return this.#view.get(appId);
  }

  /**
   * An app's label in metrics: its id when it is registered, else `other`. Series per app exist
   * only for apps an operator registered; an id anyone can make up never adds one.
   */
  metricsLabel(appId: string): string {
    return this.#view.has(appId) ? appId : 'other';
  }

  list(): TenantRecord[] {
    return [...this.#view.values()].sort((a, b) => a.appId.localeCompare(b.appId));
  }

  /** Resolves once the view has applied the registry up to `seq`. */
  async waitFor(seq: number, timeoutMs = 5_000): Promise<void> {
    if (this.#lastSeq >= seq) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const waiter = { seq, resolve: () => undefined as void };
    try {
      await new Promise<void>((resolve, reject) => {
        waiter.resolve = resolve;
        this.#waiters.add(waiter);
        timer = setTimeout(() => reject(new Error(`tenant registry did not reach sequence ${seq} in ${timeoutMs} ms`)), timeoutMs);
      });
    } finally {
      clearTimeout(timer);
      this.#waiters.delete(waiter);
    }
  }
}
