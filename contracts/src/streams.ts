/**
 * The JetStream stream catalog. Retention is a class, not a number: the server turns each
 * class into a max-age from its configuration, so the broker's expiry *is* the TTL.
 */
export type Retention =
  | { kind: 'max_age'; setting: RetentionSetting }
  | { kind: 'work_queue'; max_age_seconds: number }
  | { kind: 'forever' };

/** Configuration variables that set a stream's max-age (see the configuration table). */
export type RetentionSetting =
  | 'BOT_OUTPUT_TTL_SECONDS'
  | 'DRAFT_MAX_TTL_SECONDS'
  | 'APNS_TOKEN_TTL_SECONDS'
  | 'STORAGE_OBJECT_TTL_SECONDS'
  | 'CONVERSION_RETENTION_DAYS'
  | 'ROLLUP_RETENTION_DAYS';

export interface StreamSpec {
  /** Stream name in JetStream. */
  name: string;
  /** First subject token; the stream binds `<prefix>.>` (TENANTS binds `tenants.>`). */
  prefix: string;
  retention: Retention;
  /**
   * What one subject holds: `latest` (each subject is one item's current state: a newer message
   * replaces the older one, `max_msgs_per_subject: 1`) or `history` (every message counts).
   * Streams whose messages carry their own TTL (`Nats-TTL`) must be `latest`: since nats-server
   * 2.11.2 a stream with delete markers raises every message TTL to the marker's lifetime
   * unless it keeps one message per subject (server/stream.go, processJetStreamMsg).
   */
  per_subject: 'latest' | 'history';
  holds: string;
}

export const STREAMS = {
  BOTS: {
    name: 'BOTS',
    prefix: 'bots',
    retention: { kind: 'max_age', setting: 'BOT_OUTPUT_TTL_SECONDS' },
    per_subject: 'latest',
    holds: 'task requested / output created / task failed',
  },
  DRAFTS: {
    name: 'DRAFTS',
    prefix: 'drafts',
    retention: { kind: 'max_age', setting: 'DRAFT_MAX_TTL_SECONDS' },
    per_subject: 'latest',
    holds: 'draft saved / deleted',
  },
  CONVERSIONS: {
    name: 'CONVERSIONS',
    prefix: 'affiliate',
    retention: { kind: 'max_age', setting: 'CONVERSION_RETENTION_DAYS' },
    per_subject: 'history',
    holds: 'conversion recorded (code, event name, value; no user data)',
  },
  ROLLUPS: {
    name: 'ROLLUPS',
    prefix: 'rollups',
    retention: { kind: 'max_age', setting: 'ROLLUP_RETENTION_DAYS' },
    per_subject: 'history',
    holds: 'daily aggregate counts',
  },
  DEVICES: {
    name: 'DEVICES',
    prefix: 'ios',
    retention: { kind: 'max_age', setting: 'APNS_TOKEN_TTL_SECONDS' },
    per_subject: 'history',
    holds: 'device token registered',
  },
  OUTBOX: {
    name: 'OUTBOX',
    prefix: 'email',
    retention: { kind: 'work_queue', max_age_seconds: 15 * 60 },
    per_subject: 'history',
    holds: 'email requested (recipient inside: gone once sent)',
  },
  UPLOADS: {
    name: 'UPLOADS',
    prefix: 'storage',
    retention: { kind: 'max_age', setting: 'STORAGE_OBJECT_TTL_SECONDS' },
    per_subject: 'latest',
    holds: 'upload issued (key, expiry)',
  },
  TENANTS: {
    name: 'TENANTS',
    prefix: 'tenants',
    retention: { kind: 'forever' },
    per_subject: 'history',
    holds: 'tenant registered / key rotated / removed',
  },
} as const satisfies Record<string, StreamSpec>;

export type StreamName = keyof typeof STREAMS;
