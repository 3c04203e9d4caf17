import { appIdFromToken, botTaskFilter, type BotEvent, type BotTask } from '@mayfly/contracts';
import { enqueuePurges } from '../../../../consumers/reconciler/expiring-table.ts';
import type { ProjectedEvent, Projection } from '../../../../consumers/projection/projection.ts';
import type { Queryable } from '../../../platform/db/database.ts';

type Row = BotTask & { tenant: string; last_seq: number };

/** A task's state after an event. Outcome events carry the task's own fields, so order within a batch is all that matters. */
export function evolve(event: BotEvent, seq: number): Row {
  const base = { tenant: event.tenant, task_id: event.data.task_id, last_seq: seq };
  switch (event.type) {
    case 'bot.task.requested':
      return { ...base, task_type: event.data.task_type, status: 'pending', created_at: event.occurred_at, expires_at: event.data.expires_at };
    case 'bot.output.created':
      return { ...base, task_type: event.data.task_type, status: 'completed', output: event.data.output, created_at: event.data.created_at, expires_at: event.data.expires_at };
    case 'bot.task.failed':
      return { ...base, task_type: event.data.task_type, status: 'failed', error: event.data.error, created_at: event.data.created_at, expires_at: event.data.expires_at };
    default: {
      const _never: never = event;
      return _never;
    }
  }
}

const isBotEvent = (e: ProjectedEvent['event']): e is BotEvent => e.type.startsWith('bot.');

/** Folds the batch to each task's latest state and writes it with one UNNEST upsert. */
async function apply(tx: Queryable, events: ProjectedEvent[], now: Date): Promise<void> {
  const finals = new Map<string, Row>();
  for (const { event, seq } of events) {
    if (!isBotEvent(event)) continue;
    const row = evolve(event, seq);
    // An outcome never goes back to pending (a requested event can not follow it).
    const prev = finals.get(`${row.tenant}\u0000${row.task_id}`);
    if (prev && prev.status !== 'pending' && row.status === 'pending') continue;
    finals.set(`${row.tenant}\u0000${row.task_id}`, row);
  }
  const keep = [...finals.values()].filter((r) => Date.parse(r.expires_at) > now.getTime());
  const expired = [...finals.values()].filter((r) => Date.parse(r.expires_at) <= now.getTime());
  if (keep.length > 0) {
    await tx.query(
      `INSERT INTO bot_tasks (tenant, id, task_type, status, output, error, created_at, expires_at, last_seq)
       SELECT * FROM unnest($1::text[], $2::uuid[], $3::text[], $4::text[], $5::jsonb[], $6::jsonb[], $7::timestamptz[], $8::timestamptz[], $9::bigint[])
       ON CONFLICT (tenant, id) DO UPDATE SET status = excluded.status, output = excluded.output, error = excluded.error,
         expires_at = excluded.expires_at, last_seq = excluded.last_seq
       WHERE bot_tasks.status = 'pending' OR excluded.status <> 'pending'`,
      [
        keep.map((r) => r.tenant),
        keep.map((r) => r.task_id),
        keep.map((r) => r.task_type),
        keep.map((r) => r.status),
        keep.map((r) => (r.output === undefined ? null : JSON.stringify(r.output))),
        keep.map((r) => (r.error === undefined ? null : JSON.stringify(r.error))),
        keep.map((r) => r.created_at),
        keep.map((r) => r.expires_at),
        keep.map((r) => r.last_seq),
      ],
    );
  }
  if (expired.length > 0) {
    await removeTasks(tx, expired.map((r) => ({ tenant: r.tenant, id: r.task_id })));
    await enqueuePurges(tx, 'BOTS', expired.map((r) => botTaskFilter(r.tenant, r.task_id)));
  }
}

async function removeTasks(tx: Queryable, keys: { tenant: string; id: string }[]): Promise<void> {
  await tx.query(
    `DELETE FROM bot_tasks t USING unnest($1::text[], $2::uuid[]) AS x(tenant, id) WHERE t.tenant = x.tenant AND t.id = x.id`,
    [keys.map((k) => k.tenant), keys.map((k) => k.id)],
  );
}

/** Delete markers (2.11+) name `bots.<tenant token>.<task id>.<what>`. */
async function forget(tx: Queryable, subjects: string[]): Promise<void> {
  const keys = subjects.flatMap((s) => {
    const [, token, id] = s.split('.');
    return token && id ? [{ tenant: appIdFromToken(token), id }] : [];
  });
  if (keys.length > 0) await removeTasks(tx, keys);
}

/** The `bot_outputs` projection (table `bot_tasks`), fed by the BOTS stream. */
export const botOutputsProjection: Projection = { name: 'bot_outputs', stream: 'BOTS', table: 'bot_tasks', apply, forget };
