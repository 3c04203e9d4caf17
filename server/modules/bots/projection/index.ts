import { appIdFromToken, botTaskFilter, type AnyEvent, type BotEvent, type BotTask } from '@mayfly/contracts';
import { rowProjection, type RowKey } from '../../../../consumers/projection/row-projection.ts';

/** A row of `bot_tasks`. */
export interface TaskRow {
  tenant: string;
  id: string;
  task_type: string;
  status: BotTask['status'];
  output: unknown;
  error: BotTask['error'] | null;
  created_at: string;
  expires_at: string;
  last_seq: number;
}

/**
 * A task's state after an event. Outcome events carry the task's own fields, so they stand on
 * their own; an outcome never goes back to pending.
 */
export function evolve(prev: TaskRow | null, event: BotEvent, seq: number): TaskRow {
  const base = { tenant: event.tenant, id: event.data.task_id, task_type: event.data.task_type, last_seq: seq };
  switch (event.type) {
    case 'bot.task.requested':
      if (prev && prev.status !== 'pending') return prev;
      return { ...base, status: 'pending', output: null, error: null, created_at: event.occurred_at, expires_at: event.data.expires_at };
    case 'bot.output.created':
      return { ...base, status: 'completed', output: event.data.output, error: null, created_at: event.data.created_at, expires_at: event.data.expires_at };
    case 'bot.task.failed':
      return { ...base, status: 'failed', output: null, error: event.data.error, created_at: event.data.created_at, expires_at: event.data.expires_at };
    default: {
      const _never: never = event;
      return _never;
    }
  }
}

/** `bots.<tenant token>.<task id>.<what>`: the task a subject names. */
export function taskOfSubject(subject: string): RowKey | undefined {
  const [prefix, token, id] = subject.split('.');
  return prefix === 'bots' && token && id ? { tenant: appIdFromToken(token), id } : undefined;
}

/** The `bot_outputs` projection (table `bot_tasks`), fed by the BOTS stream. */
export const botOutputsProjection = rowProjection({
  name: 'bot_outputs',
  stream: 'BOTS',
  table: 'bot_tasks',
  columns: {
    tenant: 'text',
    id: 'uuid',
    task_type: 'text',
    status: 'text',
    output: 'jsonb',
    error: 'jsonb',
    created_at: 'timestamptz',
    expires_at: 'timestamptz',
    last_seq: 'bigint',
  },
  handles: (e: AnyEvent): e is BotEvent => e.type.startsWith('bot.'),
  idOf: (e) => e.data.task_id,
  evolve,
  subject: botTaskFilter,
  keyOfSubject: taskOfSubject,
});
