import type { Queryable } from '../../server/platform/db/database.ts';

/** A replay as `replay_runs` keeps it. */
export interface RunRow {
  id: number;
  projection: string;
  stream: string;
  app_id: string | null;
  shadow: string;
  from_seq: number;
  last_seq: number;
  events: number;
  pending: number;
  status: 'running' | 'finished' | 'abandoned';
  started_at: Date;
}

const COLUMNS = 'id, projection, stream, app_id, shadow, from_seq, last_seq, events, pending, status, started_at';

/** The unfinished replay of `projection`, if any (at most one: a unique index sees to it). */
export async function runningReplay(q: Queryable, projection: string): Promise<RunRow | undefined> {
  const rows = await q.query<RunRow>(`SELECT ${COLUMNS} FROM replay_runs WHERE projection = $1 AND status = 'running'`, [projection]);
  return rows[0];
}

/** Records a new replay; its shadow schema is named after its id. */
export async function insertRun(
  q: Queryable,
  r: { projection: string; stream: string; appId: string | undefined; fromSeq: number; holder: string; shadowOf: (id: number) => string },
): Promise<RunRow> {
  const [row] = await q.query<RunRow>(
    `INSERT INTO replay_runs (projection, stream, app_id, shadow, from_seq, last_seq, status, holder)
     VALUES ($1, $2, $3, '', $4::bigint, $4::bigint - 1, 'running', $5) RETURNING ${COLUMNS}`,
    [r.projection, r.stream, r.appId ?? null, r.fromSeq, r.holder],
  );
  const shadow = r.shadowOf(row!.id);
  await q.query('UPDATE replay_runs SET shadow = $2 WHERE id = $1', [row!.id, shadow]);
  return { ...row!, shadow };
}

/** Moves a run on, in the transaction that applied its events. */
export async function advanceRun(q: Queryable, id: number, lastSeq: number, applied: number, pending: number): Promise<void> {
  await q.query('UPDATE replay_runs SET last_seq = $2, events = events + $3, pending = $4, updated_at = now() WHERE id = $1', [id, lastSeq, applied, pending]);
}

/** Marks a run done, in the swap's transaction. */
export async function finishRun(q: Queryable, id: number, lastSeq: number, checkpoint: number): Promise<void> {
  await q.query(
    "UPDATE replay_runs SET status = 'finished', last_seq = $2, checkpoint = $3, pending = 0, updated_at = now(), finished_at = now() WHERE id = $1",
    [id, lastSeq, checkpoint],
  );
}

/** Gives a run up. */
export async function abandonRun(q: Queryable, id: number): Promise<void> {
  await q.query("UPDATE replay_runs SET status = 'abandoned', updated_at = now(), finished_at = now() WHERE id = $1", [id]);
}
