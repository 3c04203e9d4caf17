// The public surface of @mayfly/contracts: what a TypeScript client (web, React Native, Deno)
// may import. Nothing here imports server code or node:* at run time.
export { AppId, tenantToken, appIdFromToken } from './src/tenant.ts';
export { ErrorCode, ErrorEnvelope } from './src/errors.ts';
export { STREAMS, type StreamName, type StreamSpec, type Retention, type RetentionSetting } from './src/streams.ts';
export { eventEnvelope } from './src/envelope.ts';
export { EVENTS, AnyEvent, type EventType, type EventOf } from './src/events.ts';
export {
  DEFAULT_DRAFT_TTL_SECONDS,
  DraftId,
  Draft,
  DraftList,
  DraftCreateInput,
  DraftUpdateInput,
  DraftIdInput,
  DraftListInput,
  DraftDeleted,
  DraftSavedEvent,
  DraftDeletedEvent,
  type DraftEvent,
  draftSubject,
  tenantDraftsFilter,
} from './src/drafts.ts';
export {
  ReferralCode,
  ConversionEventName,
  AffiliateGenerateInput,
  AffiliateGenerated,
  AffiliateVerifyInput,
  AffiliateVerified,
  AffiliateConversionInput,
  AffiliateConversionAccepted,
  AffiliateStatsInput,
  AffiliateStatsItem,
  AffiliateStats,
  ConversionRecordedEvent,
  RollupDailyEvent,
  type AffiliateEvent,
  conversionSubject,
  tenantConversionsFilter,
  rollupSubject,
  tenantRollupsFilter,
} from './src/affiliate.ts';
export {
  MAX_WAIT_MS,
  DEFAULT_WAIT_MS,
  TaskId,
  TaskStatus,
  TaskError,
  BotExecuteInput,
  BotTask,
  BotTaskIdInput,
  BotListInput,
  BotTaskList,
  BotUpdate,
  BotTaskRequestedEvent,
  BotOutputCreatedEvent,
  BotTaskFailedEvent,
  type BotEvent,
  botSubject,
  botTaskFilter,
  tenantBotsFilter,
  BOT_REQUESTS_FILTER,
} from './src/bots.ts';
export {
  Rate,
  RateLimits,
  TenantCreateInput,
  TenantKey,
  TenantAppIdInput,
  TenantDeleteInput,
  TenantDeleted,
  TenantSummary,
  TenantList,
  TenantRegisteredEvent,
  TenantKeyRotatedEvent,
  TenantRemovedEvent,
  type TenantEvent,
  tenantSubject,
} from './src/tenants.ts';
export {
  EmailId,
  EmailSendInput,
  EmailQueued,
  EmailRequestedEvent,
  type EmailEvent,
  emailSubject,
  EMAIL_FILTER,
} from './src/email.ts';
export {
  OBJECT_PREFIX,
  ObjectKey,
  objectKey,
  parseObjectKey,
  StorageUploadInput,
  StorageUpload,
  StorageDownloadInput,
  StorageDownload,
  UploadIssuedEvent,
  type StorageEvent,
  uploadSubject,
  tenantUploadsFilter,
} from './src/storage.ts';
export type { AppRouter } from './src/router.ts';
export { createMayflyClient, type MayflyClientOptions, type MayflyClient } from './src/client.ts';
