import { z } from 'zod';
import { DraftDeletedEvent, DraftSavedEvent } from './drafts.ts';
import type { StreamName } from './streams.ts';

/** Every event type: its envelope schema, version and the stream that holds it. */
export const EVENTS = {
  'draft.saved': { schema: DraftSavedEvent, v: 1, stream: 'DRAFTS' },
  'draft.deleted': { schema: DraftDeletedEvent, v: 1, stream: 'DRAFTS' },
} as const satisfies Record<string, { schema: z.ZodType; v: number; stream: StreamName }>;

export type EventType = keyof typeof EVENTS;

/** Any event of the catalog, discriminated by `type`. */
export const AnyEvent = z.discriminatedUnion('type', [DraftSavedEvent, DraftDeletedEvent]);
export type AnyEvent = z.infer<typeof AnyEvent>;
export type EventOf<T extends EventType> = Extract<AnyEvent, { type: T }>;
