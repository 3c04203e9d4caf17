import type { AnyEvent, BotTask } from '@mayfly/contracts';
import { evolve, type TaskRow } from './projection/index.ts';

/** A task as the API shows it. */
export function toTask(r: Pick<TaskRow, 'id' | 'task_type' | 'status' | 'output' | 'error' | 'created_at' | 'expires_at'>): BotTask {
  return {
    task_id: r.id,
    task_type: r.task_type,
    status: r.status,
    ...(r.status === 'completed' ? { output: r.output } : {}),
    ...(r.error ? { error: r.error } : {}),
    created_at: r.created_at,
    expires_at: r.expires_at,
  };
}

/** The task as the API shows it, from one of its events (null for an event of another kind). */
export function taskFromEvent(event: AnyEvent, seq = 0): BotTask | null {
  if (event.type !== 'bot.task.requested' && event.type !== 'bot.output.created' && event.type !== 'bot.task.failed') return null;
  return toTask(evolve(null, event, seq));
}
