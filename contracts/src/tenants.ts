import { z } from 'zod';
import { eventEnvelope } from './envelope.ts';
import { BundleId } from './ios.ts';
import { AppId, LegacyAppId, tenantToken } from './tenant.ts';

/** A rate like `30/min`, `5/s`, `1000/hour`. */
export const Rate = z
  .string()
  .regex(/^\d{1,7}\/(s|sec|second|min|minute|h|hour)$/, 'must look like 30/min, 5/s or 1000/hour')
  .meta({ example: '30/min' });

/** Per-procedure limits of one app, e.g. `{"bots.execute": "60/min"}`. */
export const RateLimits = z.record(z.string().max(64), Rate).meta({ id: 'RateLimits' });
export type RateLimits = z.infer<typeof RateLimits>;

/** The Apple bundle ids a registered app owns: the APNs topics it may push to and the apps whose receipts it verifies. */
export const BundleIds = z
  .array(BundleId)
  .max(20)
  .refine((ids) => new Set(ids).size === ids.length, 'must not repeat a bundle id')
  .meta({
    description: 'The Apple bundle ids this app owns: register-token accepts only these (the first is the default) and validate-receipt verifies only their transactions.',
    example: ['com.example.app', 'com.example.app.watchkitapp'],
  });

export const TenantCreateInput = z.strictObject({ app_id: AppId, rate_limits: RateLimits.optional(), bundle_ids: BundleIds.optional() });
export const TenantUpdateInput = z
  .strictObject({
    app_id: AppId,
    rate_limits: RateLimits.optional().meta({ description: 'Replaces the app’s limits; {} returns it to the defaults.' }),
    bundle_ids: BundleIds.optional().meta({ description: 'Replaces the app’s bundle ids; [] removes them all.' }),
  })
  .refine((u) => u.rate_limits !== undefined || u.bundle_ids !== undefined, { message: 'give rate_limits, bundle_ids or both', path: ['bundle_ids'] });
export const TenantKey = z
  .object({ app_id: AppId, key: z.string().meta({ description: 'The app key: shown once, stored only as a hash.' }) })
  .meta({ id: 'TenantKey' });
export const TenantAppIdInput = z.strictObject({ app_id: AppId });
// An app registered under a former, looser id rule can still be removed and purged.
export const TenantDeleteInput = z.strictObject({
  app_id: LegacyAppId,
  purge: z.enum(['true', 'false']).optional().meta({ description: 'true: erase every trace of the app (streams, tables, bucket prefix).' }),
});
export const TenantDeleted = z.object({ deleted: z.literal(true) });
export const TenantSummary = z
  .object({ app_id: LegacyAppId, rate_limits: RateLimits.optional(), bundle_ids: z.array(z.string()), registered_at: z.iso.datetime() })
  .meta({ id: 'TenantSummary' });
export const TenantList = z.object({ items: z.array(TenantSummary) });

export const TenantRegisteredEvent = eventEnvelope(
  'tenant.registered',
  1,
  z.object({ app_id: LegacyAppId, key_hash: z.string(), rate_limits: RateLimits.optional(), bundle_ids: z.array(z.string()).optional() }),
);
/** Fields present replace the app's; fields absent stay as they were. */
export const TenantUpdatedEvent = eventEnvelope(
  'tenant.updated',
  1,
  z.object({ app_id: LegacyAppId, rate_limits: RateLimits.optional(), bundle_ids: z.array(z.string()).optional() }),
);
export const TenantKeyRotatedEvent = eventEnvelope('tenant.key_rotated', 1, z.object({ app_id: LegacyAppId, key_hash: z.string() }));
export const TenantRemovedEvent = eventEnvelope('tenant.removed', 1, z.object({ app_id: LegacyAppId }));
export type TenantEvent =
  | z.infer<typeof TenantRegisteredEvent>
  | z.infer<typeof TenantUpdatedEvent>
  | z.infer<typeof TenantKeyRotatedEvent>
  | z.infer<typeof TenantRemovedEvent>;

/** The subject of one app's registry events: `tenants.<tenant token>`. */
export const tenantSubject = (appId: string) => `tenants.${tenantToken(appId)}`;
