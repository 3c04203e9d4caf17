import type { Draft, DraftList } from '@mayfly/contracts';
import type { Queryable } from '../../../platform/db/database.ts';
import { decodeCursor, encodeCursor } from '../../../platform/db/cursor.ts';

interface DraftRow {
  id: string;
  content: string;
  created_at: Date;
  expires_at: Date;
  last_seq: number;
}

const toDraft = (r: DraftRow): Draft => ({
  id: r.id,
  content: r.content,
  created_at: r.created_at.toISOString(),
  expires_at: r.expires_at.toISOString(),
});

/** A live draft of `tenant` with the sequence it was projected from, or null. */
export async function findDraft(
  q: Queryable,
  tenant: string,
  id: string,
  now: Date,
): Promise<{ draft: Draft; lastSeq: number } | null> {
  const rows = await q.query<DraftRow>(
    'SELECT id, content, created_at, expires_at, last_seq FROM drafts WHERE tenant = $1 AND id = $2 AND expires_at > $3',
    [tenant, id, now.toISOString()],
  );
  const row = rows[0];
  return row ? { draft: toDraft(row), lastSeq: row.last_seq } : null;
}



/** A page of live drafts of `tenant`, newest first. */
export async function listDrafts(
  q: Queryable,
  tenant: string,
  opts: { limit: number; cursor?: string | undefined },
  now: Date,
): Promise<DraftList> {
  const params: unknown[] = [tenant, now.toISOString(), opts.limit + 1];
  let after = '';
  if (opts.cursor) {
    const [createdAt, id] = decodeCursor(opts.cursor);
    params.push(createdAt, id);
    after = 'AND (created_at, id) < ($4::timestamptz, $5::uuid)';
  }
  const rows = await q.query<DraftRow>(
    `SELECT id, content, created_at, expires_at, last_seq FROM drafts
     WHERE tenant = $1 AND expires_at > $2 ${after}
     ORDER BY created_at DESC, id DESC LIMIT $3`,
    params,
  );
  const items = rows.slice(0, opts.limit).map(toDraft);
  const last = items[items.length - 1];
  return { items, next_cursor: rows.length > opts.limit && last ? encodeCursor(last.created_at, last.id) : null };
}
