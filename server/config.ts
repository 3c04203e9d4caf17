import { z } from 'zod';

const seconds = (def: number) => z.coerce.number().int().positive().default(def);
const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

const HostAllowlist = z.record(z.string(), z.array(z.string().min(1)));

/** The environment, as DESIGN's configuration table describes it. Parsed once at start. */
export const ConfigSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    ROLE: z.enum(['all', 'api', 'consumers']).default('all'),
    PORT: z.coerce.number().int().min(0).max(65_535).default(8000),
    HOST: z.string().default('0.0.0.0'),
    DATA_DIR: z.string().min(1).default('./.data'),
    DATABASE_URL: optionalString,
    NATS_URL: optionalString,
    NATS_SERVER_BIN: z.string().default('nats-server'),
    TENANCY: z.enum(['open', 'registered']).optional(),
    ADMIN_TOKEN: optionalString,
    SECRET_KEY: optionalString.pipe(z.string().min(32, 'must be at least 32 characters').optional()),
    RECONCILE_INTERVAL_SECONDS: seconds(60),
    BOT_OUTPUT_TTL_SECONDS: seconds(86_400),
    DRAFT_MAX_TTL_SECONDS: seconds(604_800),
    APNS_TOKEN_TTL_SECONDS: seconds(3_600),
    STORAGE_OBJECT_TTL_SECONDS: seconds(86_400),
    CONVERSION_RETENTION_DAYS: seconds(30),
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
    READ_YOUR_WRITES_TIMEOUT_MS: z.coerce.number().int().positive().default(5_000),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .transform((env) => ({
    ...env,
    TENANCY: env.TENANCY ?? (env.NODE_ENV === 'production' ? 'registered' : 'open'),
  }))
  .superRefine((env, ctx) => {
    if (env.NODE_ENV === 'production' && !env.SECRET_KEY) {
      ctx.addIssue({ code: 'custom', path: ['SECRET_KEY'], message: 'is required when NODE_ENV=production' });
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
