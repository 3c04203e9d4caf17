import type { NatsConnection, Subscription } from '@nats-io/nats-core';
import { AnyEvent, botSubject, type BotTask } from '@mayfly/contracts';
import type { Services } from '../../trpc/context.ts';
import { instanceState } from '../module.ts';
import { taskFromEvent } from './task-view.ts';

type Resolve = (task: BotTask) => void;

/**
 * Waits for bot task outcomes on two core NATS subscriptions per process (every task's
 * `completed` and `failed` subjects), matched to waiting requests by subject. A subscription
 * per request would cost a SUB and an UNSUB on the wire, and an interest change in the server,
 * for every execute.
 */
export class OutcomeWaiters {
  readonly #waiting = new Map<string, Resolve>();
  readonly #subs: Subscription[];

  constructor(
    nc: NatsConnection,
    private readonly taskFrom: (event: AnyEvent) => BotTask | null,
  ) {
    const onMessage = (subject: string, data: Uint8Array) => {
      const resolve = this.#waiting.get(subject.slice(0, subject.lastIndexOf('.')));
      if (!resolve) return;
      let task: BotTask | null = null;
      try {
        const parsed = AnyEvent.safeParse(JSON.parse(new TextDecoder().decode(data)));
        task = parsed.success ? this.taskFrom(parsed.data) : null;
      } catch {
        return; // not an outcome this version can read
      }
      if (task) resolve(task);
    };
    this.#subs = ['completed', 'failed'].map((what) =>
      nc.subscribe(`bots.*.*.${what}`, { callback: (_err, m) => onMessage(m.subject, m.data) }),
    );
  }

  /**
   * Runs `publish` (which makes the task) and waits up to `ms` for its outcome; null on
   * timeout, or at once when `publish` says there is nothing to wait for (false). The waiter is
   * in place before the publish, so the outcome can not slip past.
   */
  async wait(tenant: string, taskId: string, ms: number, publish: () => Promise<boolean>): Promise<BotTask | null> {
    const completed = botSubject(tenant, taskId, 'completed');
    const key = completed.slice(0, completed.lastIndexOf('.'));
    let timer: ReturnType<typeof setTimeout> | undefined;
    const outcome = new Promise<BotTask | null>((resolve) => {
      this.#waiting.set(key, resolve);
      if (ms > 0) timer = setTimeout(() => resolve(null), ms);
    });
    try {
      const waitForIt = await publish();
      return ms === 0 || !waitForIt ? null : await outcome;
    } finally {
      clearTimeout(timer);
      this.#waiting.delete(key);
    }
  }

  close(): void {
    for (const s of this.#subs) s.unsubscribe();
  }
}

/** This instance's waiters, subscribed on first use. */
export const outcomeWaiters = instanceState((s: Services) => new OutcomeWaiters(s.broker.nc, taskFromEvent));

/** Unsubscribes this instance's waiters (shutdown). */
export async function closeOutcomeWaiters(s: Services): Promise<void> {
  outcomeWaiters.peek(s)?.close();
  outcomeWaiters.drop(s);
}
