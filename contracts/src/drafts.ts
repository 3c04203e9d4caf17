import { z } from 'zod';
import { eventEnvelope } from './envelope.ts';
import { tenantToken } from './tenant.ts';

/** Default draft lifetime when `ttl_seconds` is not given: 24 h. */
export const DEFAULT_DRAFT_TTL_SECONDS = 86_400;

export const DraftId = z.uuid().meta({ description: 'Draft id (UUID).' });

/**
 * `ttl_seconds`: from 1 up to the server's `DRAFT_MAX_TTL_SECONDS` (7 days by default); the
 * server refuses larger values with 400 and the limit in `details`.
 */
const TtlSeconds = z
  .number()
  .int()
  .min(1)
  .max(31_536_000)
  .meta({ description: 'Lifetime in seconds, up to the server limit (default 86400).', example: 3600 });

const Content = z
  .string()
  .max(262_144)
  .meta({ description: 'The draft text (at most 256 KiB).', example: 'Dear team,' });

const Timestamp = z.iso.datetime().meta({ description: 'ISO-8601 UTC time.' });

export const DraftCreateInput = z.strictObject({
  content: Content,
  ttl_seconds: TtlSeconds.optional(),
});

export const DraftUpdateInput = z.strictObject({
  id: DraftId,
  content: Content.optional(),
  ttl_seconds: TtlSeconds.optional(),
});

export const DraftIdInput = z.strictObject({ id: DraftId });

export const DraftListInput = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(200).optional(),
});

export const Draft = z
  .object({
    id: DraftId,
    content: z.string(),
    created_at: Timestamp,
    expires_at: Timestamp,
  })
  .meta({ id: 'Draft' });
export type Draft = z.infer<typeof Draft>;

export const DraftList = z.object({
  items: z.array(Draft),
  next_cursor: z.string().nullable(),
});
export type DraftList = z.infer<typeof DraftList>;

export const DraftDeleted = z.object({ deleted: z.literal(true) });

export const DraftSavedEvent = eventEnvelope(
  'draft.saved',
  1,
  z.object({ draft_id: z.uuid(), content: z.string(), created_at: z.iso.datetime(), expires_at: z.iso.datetime() }),
);
export const DraftDeletedEvent = eventEnvelope('draft.deleted', 1, z.object({ draft_id: z.uuid() }));
export type DraftSavedEvent = z.infer<typeof DraftSavedEvent>;
export type DraftDeletedEvent = z.infer<typeof DraftDeletedEvent>;
export type DraftEvent = DraftSavedEvent | DraftDeletedEvent;

/** The subject of one draft's events: `drafts.<tenant token>.<draft id>`. */
export const draftSubject = (appId: string, draftId: string) => `drafts.${tenantToken(appId)}.${draftId}`;
/** Every draft subject of one tenant. */
export const tenantDraftsFilter = (appId: string) => `drafts.${tenantToken(appId)}.*`;
