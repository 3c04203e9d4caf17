import { appIdFromToken, draftSubject, type AnyEvent, type DraftEvent } from '@mayfly/contracts';
import { rowProjection, type RowKey } from '../../../../consumers/projection/row-projection.ts';

/** A row of `drafts`. */
export interface DraftRow {
  tenant: string;
  id: string;
  content: string;
  created_at: string;
  expires_at: string;
  last_seq: number;
}

/** A draft's state after an event: the row to keep, or null when it is gone. */
export function evolve(_prev: DraftRow | null, event: DraftEvent, seq: number): DraftRow | null {
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

/** `drafts.<tenant token>.<id>`: the draft a subject names. */
export function draftOfSubject(subject: string): RowKey | undefined {
  const [prefix, token, id] = subject.split('.');
  return prefix === 'drafts' && token && id ? { tenant: appIdFromToken(token), id } : undefined;
}

/** The `drafts` projection, fed by the DRAFTS stream: every live draft's current state. */
export const draftsProjection = rowProjection({
  name: 'drafts',
  stream: 'DRAFTS',
  table: 'drafts',
  columns: { tenant: 'text', id: 'uuid', content: 'text', created_at: 'timestamptz', expires_at: 'timestamptz', last_seq: 'bigint' },
  handles: (e: AnyEvent): e is DraftEvent => e.type === 'draft.saved' || e.type === 'draft.deleted',
  idOf: (e) => e.data.draft_id,
  evolve,
  subject: draftSubject,
  keyOfSubject: draftOfSubject,
});
