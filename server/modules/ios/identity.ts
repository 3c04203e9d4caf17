import type { Services } from '../../trpc/context.ts';
import { forbidden } from '../../platform/errors.ts';
import { notConfigured } from './settings.ts';

/**
 * Whose Apple identities an app may use. A registered app owns the bundle ids an operator
 * declared for it (`bundle_ids`): it pushes only to those topics and verifies only their
 * receipts, so one team key and one set of Apple roots serve many apps without one acting as
 * another. An app the registry does not know (open tenancy, for development) falls back to
 * the server's own settings, `APNS_TOPIC` and `APPLE_BUNDLE_ID`.
 */
export type AppleIdentity = { owner: 'app'; bundleIds: readonly string[] } | { owner: 'server' };

export function appleIdentity(s: Pick<Services, 'tenants'>, tenant: string): AppleIdentity {
  const registered = s.tenants.get(tenant);
  return registered ? { owner: 'app', bundleIds: registered.bundleIds } : { owner: 'server' };
}

const HOW_TO_DECLARE = 'an operator declares them with PATCH /api/v1/admin/tenants/{app_id} or `npm run ops -- tenants update <app_id> --bundle-ids ...`';

/** A registered app's bundle ids, or 403 when it has none. */
function ownBundleIds(tenant: string, identity: { bundleIds: readonly string[] }): readonly string[] {
  if (identity.bundleIds.length === 0) throw forbidden(`app ${tenant} has no Apple bundle ids; ${HOW_TO_DECLARE}`);
  return identity.bundleIds;
}

/**
 * The bundle id (APNs topic) a new registration is for: the one asked for when the app owns
 * it (403 otherwise), else the app's first. Undefined under the server's identity when none is
 * asked for: the push then goes to `APNS_TOPIC`.
 */
export function registrationTopic(identity: AppleIdentity, tenant: string, requested: string | undefined): string | undefined {
  if (identity.owner === 'server') return requested;
  const own = ownBundleIds(tenant, identity);
  if (requested === undefined) return own[0];
  if (!own.includes(requested)) throw forbidden(`bundle id ${requested} is not one of app ${tenant}'s (${own.join(', ')})`, { bundle_ids: own });
  return requested;
}

/**
 * The topic a push goes to: the registration's bundle id, else `APNS_TOPIC`. For a registered
 * app it must still be one of the app's (403 once an operator took it away).
 */
export function pushTopic(identity: AppleIdentity, tenant: string, registered: string | null, serverTopic: string | undefined): string {
  const topic = registered ?? serverTopic;
  if (identity.owner === 'app' && (topic === undefined || !ownBundleIds(tenant, identity).includes(topic))) {
    throw forbidden(`this registration's topic is not one of app ${tenant}'s bundle ids; register the device again`);
  }
  if (topic === undefined) throw notConfigured('iOS push', ['APNS_TOPIC (or register the token with a bundle_id)']);
  return topic;
}

/** The bundle ids whose transactions `validate-receipt` verifies for this app. */
export function receiptBundleIds(identity: AppleIdentity, tenant: string, serverBundleId: string | undefined): readonly string[] {
  if (identity.owner === 'app') return ownBundleIds(tenant, identity);
  if (serverBundleId === undefined) throw notConfigured('StoreKit verification', ['APPLE_BUNDLE_ID']);
  return [serverBundleId];
}
