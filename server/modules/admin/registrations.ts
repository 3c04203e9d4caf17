import { STREAMS, tenantSubject, type AnyEvent, type RateLimits, type TenantSummary } from '@mayfly/contracts';
import type { z } from 'zod';
import { conflict, notFound } from '../../platform/errors.ts';
import type { ReadConsistency } from '../../../consumers/read-side/consistency.ts';
import { newEvent, type EventPublisher } from '../../platform/events/publisher.ts';
import { hashAppKey, newAppKey } from '../../platform/credentials.ts';
import type { TenantRecord, TenantRegistry } from '../../../consumers/tenant-registry.ts';
import type { Broker } from '../../platform/nats/connect.ts';

/** What changing the app registry needs (the admin procedures' services, or the ops CLI's). */
export interface TenantAdminDeps {
  broker: Pick<Broker, 'jsm'>;
  events: EventPublisher;
  tenants: TenantRegistry;
  consistency: Pick<ReadConsistency, 'lastSequence'>;
  secretKey: Uint8Array;
  now: () => Date;
}

/** An app and its key, which is shown this once and stored only as a hash. */
export interface IssuedKey {
  app_id: string;
  key: string;
}

/**
 * Publishes a registry event with `expect last subject sequence` (two admins racing on one app:
 * one wins, the other gets 409), then waits until this process's view has it.
 */
async function record(d: TenantAdminDeps, event: AnyEvent, appId: string): Promise<void> {
  const last = await d.consistency.lastSequence('TENANTS', tenantSubject(appId));
  const { seq } = await d.events.publish(event, tenantSubject(appId), { expectLastSubjectSequence: last });
  await d.tenants.waitFor(seq);
}

type Summary = z.infer<typeof TenantSummary>;

/** What an operator sets on an app besides its key. */
export interface TenantSettings {
  rate_limits?: RateLimits | undefined;
  bundle_ids?: string[] | undefined;
}

const summaryOf = (t: TenantRecord): Summary => ({
  app_id: t.appId,
  registered_at: t.registeredAt,
  bundle_ids: [...t.bundleIds],
  ...(t.rateLimits && Object.keys(t.rateLimits).length > 0 ? { rate_limits: t.rateLimits } : {}),
});

/** The fields of `settings` that are set, as event data. */
const present = (settings: TenantSettings) => ({
  ...(settings.rate_limits === undefined ? {} : { rate_limits: settings.rate_limits }),
  ...(settings.bundle_ids === undefined ? {} : { bundle_ids: settings.bundle_ids }),
});

/** The registered apps, never their keys. */
export function listTenants(tenants: TenantRegistry): Summary[] {
  return tenants.list().map(summaryOf);
}

/** Registers an app; 409 when it already is. */
export async function registerTenant(d: TenantAdminDeps, appId: string, settings: TenantSettings = {}): Promise<IssuedKey> {
  if (d.tenants.get(appId)) throw conflict(`app ${appId} is already registered`);
  const key = newAppKey();
  const data = { app_id: appId, key_hash: hashAppKey(d.secretKey, key), ...present(settings) };
  await record(d, newEvent('tenant.registered', appId, data, d.now()), appId);
  return { app_id: appId, key };
}

/** Replaces the settings given (rate limits, bundle ids) and answers the app as it now is. 404 for an unknown app. */
export async function updateTenant(d: TenantAdminDeps, appId: string, settings: TenantSettings): Promise<Summary> {
  if (!d.tenants.get(appId)) throw notFound('app');
  await record(d, newEvent('tenant.updated', appId, { app_id: appId, ...present(settings) }, d.now()), appId);
  const now = d.tenants.get(appId);
  if (!now) throw notFound('app'); // removed in the meantime
  return summaryOf(now);
}

/** Gives an app a new key; the old one stops working at once. 404 for an unknown app. */
export async function rotateTenantKey(d: TenantAdminDeps, appId: string): Promise<IssuedKey> {
  if (!d.tenants.get(appId)) throw notFound('app');
  const key = newAppKey();
  await record(d, newEvent('tenant.key_rotated', appId, { app_id: appId, key_hash: hashAppKey(d.secretKey, key) }, d.now()), appId);
  return { app_id: appId, key };
}

/**
 * Removes an app from the registry; false when it was not registered. TENANTS is kept for ever,
 * so the app's earlier events (key hashes, bundle ids, rate limits) are purged from it: only the
 * removal stays, which every instance must still read (one following late included).
 */
export async function removeTenant(d: TenantAdminDeps, appId: string): Promise<boolean> {
  if (!d.tenants.get(appId)) return false;
  await record(d, newEvent('tenant.removed', appId, { app_id: appId }, d.now()), appId);
  await d.broker.jsm.streams.purge(STREAMS.TENANTS.name, { filter: tenantSubject(appId), keep: 1 });
  return true;
}
