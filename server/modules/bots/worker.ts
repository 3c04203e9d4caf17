import { BOT_REQUESTS_FILTER, botSubject, botTaskFilter, type BotTaskRequestedEvent } from '@mayfly/contracts';
import type { Worker, WorkItem } from '../../../consumers/worker.ts';
import type { Services } from '../../trpc/context.ts';
import { newEvent } from '../../platform/events/publisher.ts';
import type { Logger } from '../../platform/logger.ts';
import type { HandlerRegistry } from './handlers/registry.ts';
import { runTask, type Outcome } from './run-task.ts';
import { pushOutcome } from './notify.ts';
import { withIdSeed } from '../../platform/events/ids.ts';

/**
 * The bot worker: runs each requested task once and publishes its outcome. Shared by any
 * number of processes through one durable consumer; a task redelivered after a crash is run
 * again only if no outcome was published, and the outcome's msgID (`<task>:outcome`) makes a
 * second publish a no-op, so a task has exactly one outcome.
 */
export function botWorker(s: Services, registry: HandlerRegistry, log: Logger): Worker {
  const cfg = s.config;
  return {
    name: 'bots',
    stream: 'BOTS',
    filterSubject: BOT_REQUESTS_FILTER,
    concurrency: 64,
    maxDeliver: 5,
    maxHandleMs: cfg.BOT_HANDLER_TIMEOUT_MS * cfg.BOT_MAX_ATTEMPTS + 5_000,
    ackWaitMs: cfg.WORKER_ACK_WAIT_SECONDS * 1000,
    async handle(item: WorkItem, signal: AbortSignal) {
      if (item.event.type !== 'bot.task.requested') return;
      const event: BotTaskRequestedEvent = item.event;
      const { tenant, data } = event;
      if (Date.parse(data.expires_at) <= s.now().getTime()) return; // nobody can read its outcome any more
      if (item.deliveryCount > 1 && (await hasOutcome(s, tenant, data.task_id, item.seq))) return;
      const handler = registry.get(data.task_type);
      // Ids a handler makes (a queued mail's) are derived from the task: a redelivered task
      // re-publishes the same events, which JetStream deduplicates.
      const outcome: Outcome = handler
        ? (await withIdSeed(`bot:${data.task_id}`, () => runTask(
            handler,
            data.context,
            { taskId: data.task_id, tenant },
            { timeoutMs: cfg.BOT_HANDLER_TIMEOUT_MS, attempts: cfg.BOT_MAX_ATTEMPTS, backoffMs: 100 },
            signal,
          ))).value
        : { ok: false, error: { code: 'UNKNOWN_TASK_TYPE', message: `no handler for ${data.task_type}` } };
      await publishOutcome(s, event, outcome);
      log.debug({ task_id: data.task_id, tenant, task_type: data.task_type, ok: outcome.ok }, 'bot task done');
      if (data.notify_registration_id) {
        await pushOutcome(s, tenant, data.notify_registration_id, { task_id: data.task_id, status: outcome.ok ? 'completed' : 'failed' }, log);
      }
    },
    // The task kept failing (its outcome could not be published, ...): it ends as failed, so
    // its requester sees why instead of a task pending until its TTL.
    async giveUp(item: WorkItem) {
      if (item.event.type !== 'bot.task.requested') return;
      if (Date.parse(item.event.data.expires_at) <= s.now().getTime()) return;
      await publishOutcome(s, item.event, { ok: false, error: { code: 'WORKER_FAILED', message: 'the task could not be completed; it was tried five times' } });
    },
  };
}

/** Publishes a task's one outcome (its id derived from the task: a second publish is a duplicate). */
async function publishOutcome(s: Services, event: BotTaskRequestedEvent, outcome: Outcome): Promise<void> {
  const { tenant, data } = event;
  const common = { task_id: data.task_id, task_type: data.task_type, created_at: event.occurred_at, expires_at: data.expires_at };
  const now = s.now();
  const id = outcomeId(data.task_id);
  const ttlSeconds = (Date.parse(data.expires_at) - now.getTime()) / 1000;
  if (outcome.ok) {
    await s.events.publish(newEvent('bot.output.created', tenant, { ...common, output: outcome.output }, now, id), botSubject(tenant, data.task_id, 'completed'), { ttlSeconds });
  } else {
    await s.events.publish(newEvent('bot.task.failed', tenant, { ...common, error: outcome.error }, now, id), botSubject(tenant, data.task_id, 'failed'), { ttlSeconds });
  }
}

/** The outcome event's id: derived from the task, so a second publish is deduplicated. */
function outcomeId(taskId: string): string {
  // A UUID-shaped id the envelope schema accepts: the task id with its version nibble set to 8.
  return `${taskId.slice(0, 14)}8${taskId.slice(15)}`;
}

async function hasOutcome(s: Services, tenant: string, taskId: string, requestSeq: number): Promise<boolean> {
  return (await s.consistency.lastSequence('BOTS', botTaskFilter(tenant, taskId))) > requestSeq;
}
