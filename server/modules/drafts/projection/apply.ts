import { appIdFromToken, draftSubject, type DraftEvent } from '@mayfly/contracts';
import { enqueuePurges } from '../../../../consumers/reconciler/expiring-table.ts';
import type { Queryable } from '../../../platform/db/database.ts';
import type { ProjectedEvent, Projection } from '../../../../consumers/projection/projection.ts';

interface Row {
  tenant: string;
  id: string;
  content: string;
  created_at: string;
  expires_at: string;
  last_seq: number;
}

/** A draft's state after an event: the row to keep, or null when it is gone. */
export function evolve(event: DraftEvent, seq: number): Row | null {
  switch (event.type) {
    case 'draft.saved':
      return {
        tenant: event.tenant,
        id: event.data.draft_id,
        content: event.data.content,
        created_at: event.data.created_at,
        expires_at: event.data.expires_at,
        last_seq: seq,
      };
    case 'draft.deleted':
      return null;
    default: {
      const _never: never = event;
      return _never;
    }
  }
}

/**
 * Folds a batch to the final state of each draft it touches, then writes it with one UNNEST
 * upsert and one delete: two statements per batch, whatever its size. Expired drafts are
 * not written (and removed if present).
 */
async function apply(tx: Queryable, events: ProjectedEvent[], now: Date): Promise<void> {
  const finals = new Map<string, { tenant: string; id: string; row: Row | null }>();
  for (const { event, seq } of events) {
    if (event.type !== 'draft.saved' && event.type !== 'draft.deleted') continue;
    const id = event.data.draft_id;
    const row = evolve(event, seq);
    finals.set(`${event.tenant}\u0000${id}`, {
      tenant: event.tenant,
      id,
      row: row && Date.parse(row.expires_at) > now.getTime() ? row : null,
    });
  }
  const keep: Row[] = [];
  const drop: { tenant: string; id: string }[] = [];
  for (const f of finals.values()) (f.row ? keep : drop).push(f.row ?? f);
  if (keep.length > 0) {
    await tx.query(
      `INSERT INTO drafts (tenant, id, content, created_at, expires_at, last_seq)
       SELECT * FROM unnest($1::text[], $2::uuid[], $3::text[], $4::timestamptz[], $5::timestamptz[], $6::bigint[])
       ON CONFLICT (tenant, id) DO UPDATE SET content = excluded.content, created_at = excluded.created_at,
         expires_at = excluded.expires_at, last_seq = excluded.last_seq`,
      [
        keep.map((r) => r.tenant),
        keep.map((r) => r.id),
        keep.map((r) => r.content),
        keep.map((r) => r.created_at),
        keep.map((r) => r.expires_at),
        keep.map((r) => r.last_seq),
      ],
    );
  }
  if (drop.length > 0) {
    await removeDrafts(tx, drop);
    // A deleted (or already expired) draft's content must not wait in the broker for the
    // stream's max-age: its messages are purged by the reconciler.
    await enqueuePurges(tx, 'DRAFTS', drop.map((d) => draftSubject(d.tenant, d.id)));
  }
}

async function removeDrafts(tx: Queryable, keys: { tenant: string; id: string }[]): Promise<void> {
  await tx.query(
    `DELETE FROM drafts d USING unnest($1::text[], $2::uuid[]) AS x(tenant, id)
     WHERE d.tenant = x.tenant AND d.id = x.id`,
    [keys.map((d) => d.tenant), keys.map((d) => d.id)],
  );
}

/** Delete markers (2.11+) name `drafts.<tenant token>.<id>`: the draft's messages expired. */
async function forget(tx: Queryable, subjects: string[]): Promise<void> {
  const keys = subjects.flatMap((s) => {
    const [, token, id] = s.split('.');
    return token && id ? [{ tenant: appIdFromToken(token), id }] : [];
  });
  if (keys.length > 0) await removeDrafts(tx, keys);
}

/** The `drafts` projection, fed by the DRAFTS stream. */
export const draftsProjection: Projection = { name: 'drafts', stream: 'DRAFTS', table: 'drafts', apply, forget };
