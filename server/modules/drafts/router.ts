import {
  DEFAULT_DRAFT_TTL_SECONDS,
  Draft,
  DraftCreateInput,
  DraftDeleted,
  DraftIdInput,
  DraftList,
  DraftListInput,
  DraftUpdateInput,
  type DraftSavedEvent,
  draftSubject,
  tenantDraftsFilter,
} from '@mayfly/contracts';
import type { Services } from '../../trpc/context.ts';
import { invalidInput, notFound } from '../../platform/errors.ts';
import { newEvent } from '../../platform/events/publisher.ts';
import { newId } from '../../platform/events/ids.ts';
import { router, tenantProcedure } from '../../trpc/trpc.ts';
import { draftsProjection } from './projection/index.ts';
import { findDraft, listDrafts } from './projection/queries.ts';

const tags = ['drafts'];

function expiresAt(s: Services, now: Date, ttlSeconds: number | undefined): string {
  const max = s.config.DRAFT_MAX_TTL_SECONDS;
  const ttl = ttlSeconds ?? Math.min(DEFAULT_DRAFT_TTL_SECONDS, max);
  if (ttl > max) {
    throw invalidInput(`ttl_seconds must be at most ${max}`, [
      { path: 'ttl_seconds', message: `must be at most ${max}`, code: 'too_big' },
    ]);
  }
  return new Date(now.getTime() + ttl * 1000).toISOString();
}

const savedData = (d: Draft) => ({
  draft_id: d.id,
  content: d.content,
  created_at: d.created_at,
  expires_at: d.expires_at,
});

/** The draft a saved event holds (what a retry answers: the original, as the broker keeps it). */
const draftOf = (e: DraftSavedEvent): Draft => ({ id: e.data.draft_id, content: e.data.content, created_at: e.data.created_at, expires_at: e.data.expires_at });

const secondsLeft = (d: Draft, now: Date) => (Date.parse(d.expires_at) - now.getTime()) / 1000;

/** Reads one draft after the projection has caught up with everything written to it. */
async function readDraft(s: Services, tenant: string, id: string) {
  const seq = await s.consistency.settle(draftsProjection.name, 'DRAFTS', draftSubject(tenant, id));
  if (seq === 0) return null; // never written, or every trace of it expired from the broker
  const found = await findDraft(s.db, tenant, id, s.now());
  return found ? { ...found, subjectSeq: seq } : null;
}

export const draftsRouter = router({
  create: tenantProcedure
    .meta({
      openapi: { method: 'POST', path: '/drafts', tags, summary: 'Create a draft', protect: false },
      successStatus: 201,
    })
    .input(DraftCreateInput)
    .output(Draft)
    .mutation(async ({ ctx, input }) => {
      const s = ctx.services;
      const now = s.now();
      const draft: Draft = {
        id: newId(),
        content: input.content,
        created_at: now.toISOString(),
        expires_at: expiresAt(s, now, input.ttl_seconds),
      };
      const saved = await s.events.publishOnce(
        newEvent('draft.saved', ctx.tenant, savedData(draft), now),
        draftSubject(ctx.tenant, draft.id),
        { expectLastSubjectSequence: 0, ttlSeconds: secondsLeft(draft, now) },
      );
      return draftOf(saved);
    }),

  get: tenantProcedure
    .meta({ openapi: { method: 'GET', path: '/drafts/{id}', tags, summary: 'Get a draft', protect: false } })
    .input(DraftIdInput)
    .output(Draft)
    .query(async ({ ctx, input }) => {
      const found = await readDraft(ctx.services, ctx.tenant, input.id);
      if (!found) throw notFound('draft');
      return found.draft;
    }),

  list: tenantProcedure
    .meta({ openapi: { method: 'GET', path: '/drafts', tags, summary: 'List live drafts, newest first', protect: false } })
    .input(DraftListInput)
    .output(DraftList)
    .query(async ({ ctx, input }) => {
      const s = ctx.services;
      await s.consistency.settle(draftsProjection.name, 'DRAFTS', tenantDraftsFilter(ctx.tenant));
      return listDrafts(s.db, ctx.tenant, input, s.now());
    }),

  update: tenantProcedure
    .meta({ openapi: { method: 'PATCH', path: '/drafts/{id}', tags, summary: 'Change a draft or its lifetime', protect: false } })
    .input(DraftUpdateInput)
    .output(Draft)
    .mutation(async ({ ctx, input }) => {
      const s = ctx.services;
      const found = await readDraft(s, ctx.tenant, input.id);
      if (!found) throw notFound('draft');
      const now = s.now();
      const draft: Draft = {
        ...found.draft,
        content: input.content ?? found.draft.content,
        expires_at: input.ttl_seconds === undefined ? found.draft.expires_at : expiresAt(s, now, input.ttl_seconds),
      };
      const saved = await s.events.publishOnce(
        newEvent('draft.saved', ctx.tenant, savedData(draft), now),
        draftSubject(ctx.tenant, draft.id),
        { expectLastSubjectSequence: found.subjectSeq, ttlSeconds: secondsLeft(draft, now) },
      );
      return draftOf(saved);
    }),

  delete: tenantProcedure
    .meta({ openapi: { method: 'DELETE', path: '/drafts/{id}', tags, summary: 'Delete a draft now', protect: false } })
    .input(DraftIdInput)
    .output(DraftDeleted)
    .mutation(async ({ ctx, input }) => {
      const s = ctx.services;
      const found = await readDraft(s, ctx.tenant, input.id);
      if (!found) throw notFound('draft');
      await s.events.publish(
        newEvent('draft.deleted', ctx.tenant, { draft_id: input.id }, s.now()),
        draftSubject(ctx.tenant, input.id),
        { expectLastSubjectSequence: found.subjectSeq },
      );
      return { deleted: true as const };
    }),
});
