import { z } from 'zod';
import { eventEnvelope } from './envelope.ts';
import { tenantToken } from './tenant.ts';

/**
 * A referral code as Mayfly issues it: 12 characters of Crockford base32 (digits and
 * upper-case letters without I, L, O and U), self-verifying: the server checks it without
 * storage.
 */
export const ReferralCode = z
  .string()
  .regex(/^[0-9A-HJKMNP-TV-Z]{12}$/, 'must be 12 characters of Crockford base32')
  .meta({ description: 'Referral code: 12 characters of Crockford base32.', example: 'K3M9QZ4T7VXB' });

/** A code as a person may type it: any case, hyphens or spaces, O for 0 and I or L for 1. */
const CodeInput = z
  .string()
  .min(1)
  .max(64)
  .meta({ description: 'A referral code; case, hyphens and O/I/L for 0/1/1 are forgiven.', example: 'k3m9-qz4t-7vxb' });

/** A conversion's event name: 1-64 characters of `[A-Za-z0-9._-]`. */
export const ConversionEventName = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9._-]+$/, 'must be 1-64 characters of A-Z a-z 0-9 . _ -')
  .meta({ description: 'What converted (default `conversion`).', example: 'signup' });

/** A conversion's value; bounded so that sums stay exact and finite. */
const ConversionValue = z
  .number()
  .min(-1e15)
  .max(1e15)
  .meta({ description: 'A value to sum (e.g. revenue); default 0.', example: 4.99 });

/** A UTC calendar day. */
const Day = z.iso.date().meta({ description: 'A UTC day, YYYY-MM-DD.', example: '2026-01-31' });

/** An exact decimal as text: sums of values are kept exact, whatever order they are added in. */
const DecimalText = z.string().regex(/^-?\d+(\.\d+)?$/, 'must be a plain decimal number');

export const AffiliateGenerateInput = z.strictObject({
  session_id: z
    .string()
    .min(1)
    .max(256)
    .meta({ description: 'Your own id of the referring session; never stored or sent on.', example: 'sess-42' }),
});
export const AffiliateGenerated = z.object({ code: ReferralCode });

export const AffiliateVerifyInput = z.strictObject({ code: CodeInput });
export const AffiliateVerified = z.object({ valid: z.boolean() });

export const AffiliateConversionInput = z.strictObject({
  code: CodeInput,
  event: ConversionEventName.default('conversion'),
  value: ConversionValue.default(0),
});
export const AffiliateConversionAccepted = z.object({ accepted: z.literal(true) });

// GET input: flat optional strings only (the REST twin maps them from the query string).
export const AffiliateStatsInput = z.strictObject({
  code: CodeInput.optional(),
  from: Day.optional(),
  to: Day.optional(),
});

export const AffiliateStatsItem = z
  .object({
    code: ReferralCode,
    event: ConversionEventName,
    day: Day,
    count: z.number().int().nonnegative(),
    value_sum: z.number(),
  })
  .meta({ id: 'AffiliateStatsItem' });
export type AffiliateStatsItem = z.infer<typeof AffiliateStatsItem>;

export const AffiliateStats = z.object({ items: z.array(AffiliateStatsItem) });
export type AffiliateStats = z.infer<typeof AffiliateStats>;

/** One accepted conversion: the code, what converted, its value and the UTC day; nothing about the user. */
export const ConversionRecordedEvent = eventEnvelope(
  'conversion.recorded',
  1,
  z.object({ code: ReferralCode, event: ConversionEventName, value: ConversionValue, day: Day }),
);
/**
 * A sealed total of one (code, event, day): written once the day is complete, kept for ever
 * (ROLLUPS has no max-age), so history outlives the raw events.
 */
export const RollupDailyEvent = eventEnvelope(
  'rollup.daily',
  1,
  z.object({
    code: ReferralCode,
    event: ConversionEventName,
    day: Day,
    count: z.number().int().nonnegative(),
    value_sum: DecimalText,
    /** When this total is dropped (ROLLUP_RETENTION_DAYS after it was sealed); seals made before it existed have none. */
    expires_at: z.iso.datetime().optional(),
  }),
);
export type ConversionRecordedEvent = z.infer<typeof ConversionRecordedEvent>;
export type RollupDailyEvent = z.infer<typeof RollupDailyEvent>;
export type AffiliateEvent = ConversionRecordedEvent | RollupDailyEvent;

// Event names share the app-id alphabet, `.` included: the same injective `.` -> `~` keeps
// one name in one subject token.
const nameToken = tenantToken;

/** The subject of one code's conversions: `affiliate.<tenant token>.<code>`. */
export const conversionSubject = (appId: string, code: string) => `affiliate.${tenantToken(appId)}.${code}`;
/** Every conversion subject of one tenant. */
export const tenantConversionsFilter = (appId: string) => `affiliate.${tenantToken(appId)}.*`;
/** The subject of one sealed total: `rollups.<tenant token>.<day>.<code>.<event token>`. */
export const rollupSubject = (appId: string, day: string, code: string, event: string) =>
  `rollups.${tenantToken(appId)}.${day}.${code}.${nameToken(event)}`;
/** Every sealed total of one tenant, or of one of its codes. */
export const tenantRollupsFilter = (appId: string, code?: string) =>
  code === undefined ? `rollups.${tenantToken(appId)}.>` : `rollups.${tenantToken(appId)}.*.${code}.*`;
