import { Buffer } from 'node:buffer';
import type { Draft, DraftList } from '@mayfly/contracts';
import type { Queryable } from '../../../db/database.ts';
import { badRequest } from '../../../errors.ts';

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

function encodeCursor(d: Draft): string {
  return Buffer.from(JSON.stringify([d.created_at, d.id])).toString('base64url');
}

function decodeCursor(cursor: string): [string, string] {
  try {
    const v: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && typeof v[1] === 'string') {
      if (!Number.isNaN(Date.parse(v[0])) && /^[0-9a-f-]{36}$/i.test(v[1])) return [v[0], v[1]];
    }
  } catch {
    // fall through
  }
  throw badRequest('cursor is not valid; use next_cursor from a previous page');
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
  return { items, next_cursor: rows.length > opts.limit && last ? encodeCursor(last) : null };
}
