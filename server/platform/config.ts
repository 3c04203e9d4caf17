import ipaddr from 'ipaddr.js';
import { z } from 'zod';

const seconds = (def: number) => z.coerce.number().int().positive().default(def);
const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

const REPLICAS = 'must be a whole number from 1 to 5';

const HostAllowlist = z.record(z.string(), z.array(z.string().min(1)));
const RateOverrides = z.record(z.string(), z.string().regex(/^\d{1,7}\/(s|sec|second|min|minute|h|hour)$/));

// Types a browser may render from the bucket's origin as active content (text/html,
// image/svg+xml) are left out on purpose: an upload must not become a page on a shared origin.
const DEFAULT_STORAGE_TYPES =
  'image/jpeg,image/png,image/gif,image/webp,image/heic,image/heif,image/avif,application/pdf,text/plain,text/csv,application/json,audio/mpeg,audio/mp4,audio/aac,audio/wav,video/mp4,video/quicktime,application/zip';
const MimeTypes = z
  .string()
  .default(DEFAULT_STORAGE_TYPES)
  .transform((v) => v.split(',').map((t) => t.trim().toLowerCase()).filter(Boolean))
  .pipe(z.array(z.string().regex(/^[a-z0-9!#$&^_.+-]+\/([a-z0-9!#$&^_.+-]+|\*)$/, 'must be comma-separated MIME types (type/subtype or type/*)')).min(1));

/** The environment, as DESIGN's configuration table describes it. Parsed once at start. */
export const ConfigSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    ROLE: z.enum(['all', 'api', 'consumers']).default('all'),
    PORT: z.coerce.number().int().min(0).max(65_535).default(8000),
    HOST: z.string().default('0.0.0.0'),
    DATA_DIR: z.string().min(1).default('./.data'),
    DATABASE_URL: optionalString,
    // Embedded PGlite in a worker thread of its own (the default: its CPU off the event loop
    // that serves HTTP), or `main` in the service's own thread, as before (BENCHMARKS.md).
    PGLITE_THREAD: z.enum(['worker', 'main']).default('worker'),
    NATS_URL: optionalString,
    NATS_SERVER_BIN: z.string().default('nats-server'),
    // Copies of every stream and KV bucket: 1 on a single server, 3 on a production cluster
    // (survives one node's loss). JetStream allows at most 5.
    NATS_STREAM_REPLICAS: z.coerce.number({ error: REPLICAS }).int(REPLICAS).min(1, REPLICAS).max(5, REPLICAS).default(1),
    TENANCY: z.enum(['open', 'registered']).optional(),
    ADMIN_TOKEN: optionalString.pipe(z.string().min(32, 'must be at least 32 characters').optional()),
    SECRET_KEY: optionalString.pipe(z.string().min(32, 'must be at least 32 characters').optional()),
    RECONCILE_INTERVAL_SECONDS: seconds(60),
    BOT_OUTPUT_TTL_SECONDS: seconds(86_400),
    DRAFT_MAX_TTL_SECONDS: seconds(604_800),
    APNS_TOKEN_TTL_SECONDS: seconds(3_600),
    STORAGE_OBJECT_TTL_SECONDS: seconds(86_400),
    CONVERSION_RETENTION_DAYS: seconds(30),
    // Aggregates (sealed daily totals, receipt counts): how long a day's totals are kept. A
    // fraction of a day is allowed (tests).
    ROLLUP_RETENTION_DAYS: z.coerce.number().positive().max(36_500).default(400),
    // Caps per app on the distinct referral codes and event names it has counts of: aggregates
    // of free-form names must not grow without bound.
    AFFILIATE_MAX_CODES_PER_APP: z.coerce.number().int().positive().default(10_000),
    AFFILIATE_MAX_EVENTS_PER_APP: z.coerce.number().int().positive().default(100),
    BODY_LIMIT_BYTES: z.coerce.number().int().positive().default(1_048_576),
    WORKER_ACK_WAIT_SECONDS: seconds(30),
    BOT_HANDLER_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
    BOT_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(10).default(3),
    BOT_HTTP_ALLOWED_HOSTS: z
      .string()
      .default('{}')
      .transform((v, ctx) => {
        try {
          return HostAllowlist.parse(JSON.parse(v));
        } catch {
          ctx.addIssue({ code: 'custom', message: 'must be JSON like {"<app id>": ["bots.example.com"], "*": []}' });
          return z.NEVER;
        }
      }),
    BOT_HTTP_ALLOW_PRIVATE: z.stringbool().default(false),
    RATE_LIMITS: z
      .string()
      .default('{}')
      .transform((v, ctx) => {
        try {
          return RateOverrides.parse(JSON.parse(v));
        } catch {
          ctx.addIssue({ code: 'custom', message: 'must be JSON like {"bots.execute": "30/min", "health": "10/min", "*": "1200/min"}' });
          return z.NEVER;
        }
      }),
    CORS_ORIGINS: z
      .string()
      .default('')
      .transform((v) => v.split(',').map((o) => o.trim()).filter(Boolean)),
    READ_YOUR_WRITES_TIMEOUT_MS: z.coerce.number().int().positive().default(5_000),
    SSE_MAX_PER_APP: z.coerce.number().int().positive().default(20),
    // How long a refusal is held once its client address has spent its burst of them; 0: never.
    REFUSAL_DELAY_MS: z.coerce.number().int().min(0).max(10_000).default(1_000),
    METRICS_TOKEN: optionalString.pipe(z.string().min(16, 'must be at least 16 characters').optional()),
    TRUSTED_PROXIES: z
      .string()
      .default('')
      .transform((v) => v.split(',').map((p) => p.trim()).filter(Boolean))
      .refine((list) => list.every((p) => (p.includes('/') ? ipaddr.isValidCIDR(p) : ipaddr.isValid(p))), 'must be comma-separated addresses or CIDR ranges, e.g. 10.0.0.0/8,192.0.2.7'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    // iOS: APNs token auth (ios.notify) and StoreKit 2 verification (ios.validateReceipt).
    APNS_KEY_FILE: optionalString,
    APNS_KEY_ID: optionalString,
    APNS_TEAM_ID: optionalString,
    APNS_TOPIC: optionalString,
    APNS_HOST: optionalString.pipe(z.url({ protocol: /^https$/, error: 'must be an https:// URL' }).optional()),
    // An extra CA trusted for the APNs connection only (tests, or a TLS-inspecting proxy).
    APNS_CA_FILE: optionalString,
    APPLE_ROOT_CERTS: optionalString,
    APPLE_BUNDLE_ID: optionalString,
    APPLE_APP_APPLE_ID: optionalString.pipe(z.string().regex(/^\d+$/, 'must be the app’s numeric Apple ID').optional()),
    APPLE_ENVIRONMENT: z
      .string()
      .default('Production')
      .transform((v) => v.split(',').map((e) => e.trim()).filter(Boolean))
      .pipe(z.array(z.enum(['Production', 'Sandbox', 'Xcode', 'LocalTesting'], 'must be comma-separated Production, Sandbox, Xcode, LocalTesting')).min(1)),
    APPLE_ALLOW_XCODE_ENVIRONMENT: z.stringbool().default(false),
    SENDGRID_API_KEY: optionalString,
    EMAIL_FROM: optionalString.pipe(z.email('must be an e-mail address').optional()),
    SENDGRID_API_URL: optionalString.pipe(z.url().optional()),
    // Below OUTBOX's 15-minute max-age, so a mail is counted failed before the broker drops it.
    EMAIL_GIVE_UP_SECONDS: z.coerce.number().int().min(1).max(840).default(600),
    S3_ENDPOINT: optionalString.pipe(z.url().optional()),
    S3_BUCKET: optionalString,
    S3_REGION: optionalString,
    S3_FORCE_PATH_STYLE: z.stringbool().default(false),
    AWS_ACCESS_KEY_ID: optionalString,
    AWS_SECRET_ACCESS_KEY: optionalString,
    STORAGE_MAX_BYTES: z.coerce.number().int().positive().default(26_214_400),
    STORAGE_ALLOWED_TYPES: MimeTypes,
  })
  .transform((env) => ({
    ...env,
    TENANCY: env.TENANCY ?? (env.NODE_ENV === 'production' ? 'registered' : 'open'),
  }))
  .superRefine((env, ctx) => {
    if (env.NODE_ENV === 'production' && !env.SECRET_KEY) {
      ctx.addIssue({ code: 'custom', path: ['SECRET_KEY'], message: 'is required when NODE_ENV=production' });
    }
  })
  .superRefine((env, ctx) => {
    if (env.SENDGRID_API_KEY && !env.EMAIL_FROM) {
      ctx.addIssue({ code: 'custom', path: ['EMAIL_FROM'], message: 'is required when SENDGRID_API_KEY is set' });
    }
  })
  .superRefine((env, ctx) => {
    // SignedDataVerifier checks no signature at all for these environments.
    const unsigned = env.APPLE_ENVIRONMENT.filter((e) => e === 'Xcode' || e === 'LocalTesting');
    if (unsigned.length === 0) return;
    if (env.NODE_ENV === 'production') {
      ctx.addIssue({ code: 'custom', path: ['APPLE_ENVIRONMENT'], message: `must not include ${unsigned.join(', ')} when NODE_ENV=production (unsigned transactions)` });
    } else if (!env.APPLE_ALLOW_XCODE_ENVIRONMENT) {
      ctx.addIssue({ code: 'custom', path: ['APPLE_ENVIRONMENT'], message: `includes ${unsigned.join(', ')}, whose transactions are unsigned: set APPLE_ALLOW_XCODE_ENVIRONMENT=true to accept them` });
    }
  });

export type Config = z.infer<typeof ConfigSchema>;

/** Raised when the environment is invalid; its message is one line naming the variable. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses the environment once; throws a {@link ConfigError} naming the first bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const result = ConfigSchema.safeParse(env);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const name = issue?.path.join('.') || 'environment';
  const value = env[name];
  const shown = value === undefined ? 'unset' : name.includes('KEY') || name.includes('TOKEN') ? 'set' : JSON.stringify(value);
  throw new ConfigError(`invalid configuration: ${name} ${issue?.message ?? 'is invalid'} (${shown})`);
}
