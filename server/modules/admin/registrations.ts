import { tenantSubject, type AnyEvent, type RateLimits, type TenantSummary } from '@mayfly/contracts';
import type { z } from 'zod';
import { conflict, notFound } from '../../platform/errors.ts';
import type { ReadConsistency } from '../../../consumers/read-side/consistency.ts';
import { newEvent, type EventPublisher } from '../../platform/events/publisher.ts';
import { hashAppKey, newAppKey } from '../../platform/credentials.ts';
import type { TenantRegistry } from '../../../consumers/tenant-registry.ts';

/** What changing the app registry needs (the admin procedures' services, or the ops CLI's). */
export interface TenantAdminDeps {
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

/** The registered apps, never their keys. */
export function listTenants(tenants: TenantRegistry): z.infer<typeof TenantSummary>[] {
  return tenants
    .list()
    .map((t) => ({ app_id: t.appId, registered_at: t.registeredAt, ...(t.rateLimits ? { rate_limits: t.rateLimits } : {}) }));
}

/** Registers an app; 409 when it already is. */
export async function registerTenant(d: TenantAdminDeps, appId: string, rateLimits?: RateLimits): Promise<IssuedKey> {
  if (d.tenants.get(appId)) throw conflict(`app ${appId} is already registered`);
  const key = newAppKey();
  const data = { app_id: appId, key_hash: hashAppKey(d.secretKey, key), ...(rateLimits ? { rate_limits: rateLimits } : {}) };
  await record(d, newEvent('tenant.registered', appId, data, d.now()), appId);
  return { app_id: appId, key };
}

/** Gives an app a new key; the old one stops working at once. 404 for an unknown app. */
export async function rotateTenantKey(d: TenantAdminDeps, appId: string): Promise<IssuedKey> {
  if (!d.tenants.get(appId)) throw notFound('app');
  const key = newAppKey();
  await record(d, newEvent('tenant.key_rotated', appId, { app_id: appId, key_hash: hashAppKey(d.secretKey, key) }, d.now()), appId);
  return { app_id: appId, key };
}

/** Removes an app from the registry; false when it was not registered. */
export async function removeTenant(d: TenantAdminDeps, appId: string): Promise<boolean> {
  if (!d.tenants.get(appId)) return false;
  await record(d, newEvent('tenant.removed', appId, { app_id: appId }, d.now()), appId);
  return true;
}
