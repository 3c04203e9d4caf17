import { z } from 'zod';
import { ConversionRecordedEvent, RollupDailyEvent } from './affiliate.ts';
import { BotOutputCreatedEvent, BotTaskFailedEvent, BotTaskRequestedEvent } from './bots.ts';
import { DraftDeletedEvent, DraftSavedEvent } from './drafts.ts';
import { EmailRequestedEvent } from './email.ts';
import { DeviceTokenDiscardedEvent, DeviceTokenRegisteredEvent } from './ios.ts';
import { UploadIssuedEvent } from './storage.ts';
import { TenantKeyRotatedEvent, TenantRegisteredEvent, TenantRemovedEvent, TenantUpdatedEvent } from './tenants.ts';
import type { StreamName } from './streams.ts';

/** Every event type: its envelope schema, version and the stream that holds it. */
export const EVENTS = {
  'draft.saved': { schema: DraftSavedEvent, v: 1, stream: 'DRAFTS' },
  'draft.deleted': { schema: DraftDeletedEvent, v: 1, stream: 'DRAFTS' },
  'bot.task.requested': { schema: BotTaskRequestedEvent, v: 1, stream: 'BOTS' },
  'bot.output.created': { schema: BotOutputCreatedEvent, v: 1, stream: 'BOTS' },
  'bot.task.failed': { schema: BotTaskFailedEvent, v: 1, stream: 'BOTS' },
  'tenant.registered': { schema: TenantRegisteredEvent, v: 1, stream: 'TENANTS' },
  'tenant.updated': { schema: TenantUpdatedEvent, v: 1, stream: 'TENANTS' },
  'tenant.key_rotated': { schema: TenantKeyRotatedEvent, v: 1, stream: 'TENANTS' },
  'tenant.removed': { schema: TenantRemovedEvent, v: 1, stream: 'TENANTS' },
  'conversion.recorded': { schema: ConversionRecordedEvent, v: 1, stream: 'CONVERSIONS' },
  'rollup.daily': { schema: RollupDailyEvent, v: 1, stream: 'ROLLUPS' },
  'email.requested': { schema: EmailRequestedEvent, v: 1, stream: 'OUTBOX' },
  'upload.issued': { schema: UploadIssuedEvent, v: 1, stream: 'UPLOADS' },
  'device_token.registered': { schema: DeviceTokenRegisteredEvent, v: 1, stream: 'DEVICES' },
  'device_token.discarded': { schema: DeviceTokenDiscardedEvent, v: 1, stream: 'DEVICES' },
} as const satisfies Record<string, { schema: z.ZodType; v: number; stream: StreamName }>;

export type EventType = keyof typeof EVENTS;

/** Any event of the catalog, discriminated by `type`. */
export const AnyEvent = z.discriminatedUnion('type', [
  DraftSavedEvent,
  DraftDeletedEvent,
  BotTaskRequestedEvent,
  BotOutputCreatedEvent,
  BotTaskFailedEvent,
  TenantRegisteredEvent,
  TenantUpdatedEvent,
  TenantKeyRotatedEvent,
  TenantRemovedEvent,
  ConversionRecordedEvent,
  RollupDailyEvent,
  EmailRequestedEvent,
  UploadIssuedEvent,
  DeviceTokenRegisteredEvent,
  DeviceTokenDiscardedEvent,
]);
export type AnyEvent = z.infer<typeof AnyEvent>;
export type EventOf<T extends EventType> = Extract<AnyEvent, { type: T }>;
