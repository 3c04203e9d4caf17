import type { BotTask, BotTaskList } from '@mayfly/contracts';
import type { Queryable } from '../../../platform/db/database.ts';
import { decodeCursor, encodeCursor } from '../../../platform/db/cursor.ts';
import { toTask } from '../task-view.ts';
import type { TaskRow } from './index.ts';

type StoredTask = Omit<TaskRow, 'tenant' | 'last_seq' | 'created_at' | 'expires_at'> & { created_at: Date; expires_at: Date };

const COLUMNS = 'id, task_type, status, output, error, created_at, expires_at';

const fromRow = (r: StoredTask): BotTask => toTask({ ...r, created_at: r.created_at.toISOString(), expires_at: r.expires_at.toISOString() });

/** A live task of `tenant`, or null. */
export async function findTask(q: Queryable, tenant: string, id: string, now: Date): Promise<BotTask | null> {
  const rows = await q.query<StoredTask>(`SELECT ${COLUMNS} FROM bot_tasks WHERE tenant = $1 AND id = $2 AND expires_at > $3`, [tenant, id, now.toISOString()]);
  return rows[0] ? fromRow(rows[0]) : null;
}

/** A page of live tasks of `tenant`, newest first. */
export async function listTasks(q: Queryable, tenant: string, opts: { limit: number; cursor?: string | undefined }, now: Date): Promise<BotTaskList> {
  const params: unknown[] = [tenant, now.toISOString(), opts.limit + 1];
  let after = '';
  if (opts.cursor) {
    params.push(...decodeCursor(opts.cursor));
    after = 'AND (created_at, id) < ($4::timestamptz, $5::uuid)';
  }
  const rows = await q.query<StoredTask>(
    `SELECT ${COLUMNS} FROM bot_tasks WHERE tenant = $1 AND expires_at > $2 ${after} ORDER BY created_at DESC, id DESC LIMIT $3`,
    params,
  );
  const items = rows.slice(0, opts.limit).map(fromRow);
  const last = items[items.length - 1];
  const next = rows.length > opts.limit && last ? encodeCursor(last.created_at, last.task_id) : null;
  return { items, next_cursor: next };
}
