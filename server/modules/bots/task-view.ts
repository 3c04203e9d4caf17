import { BotTask, type AnyEvent } from '@mayfly/contracts';
import { evolve } from './projection/apply.ts';

/** The task as the API shows it, from one of its events (null for an event of another kind). */
export function taskFromEvent(event: AnyEvent, seq = 0): BotTask | null {
  if (!event.type.startsWith('bot.')) return null;
  const { tenant: _t, last_seq: _s, ...task } = evolve(event as Parameters<typeof evolve>[0], seq);
  return BotTask.parse(task);
}
