import { BundleIds, ERROR_STATUS, RateLimits } from '@mayfly/contracts';
import { MayflyError } from '../../server/platform/errors.ts';
import { listTenants, registerTenant, removeTenant, rotateTenantKey, updateTenant, type TenantSettings } from '../../server/modules/admin/registrations.ts';
import type { Ops } from '../context.ts';
import { OpsError } from '../errors.ts';
import { printJson, table, time } from '../format.ts';
import { tenantAdminDeps } from '../services.ts';
import { appId } from './purge-tenant.ts';

/** Registry errors (409 registered, 404 unknown) as one line. */
async function asOps<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    if (err instanceof MayflyError && ERROR_STATUS[err.code] < 500) throw new OpsError(err.message);
    throw err;
  }
}

/** `tenants list`. */
export async function tenantsListCommand(ops: Ops, o: { json?: boolean }): Promise<void> {
  const d = await tenantAdminDeps(ops, 'tenants list', { secret: false });
  const items = listTenants(d.registry);
  if (o.json) return printJson({ items });
  console.log(
    table(
      ['APP ID', 'REGISTERED', 'BUNDLE IDS', 'RATE LIMITS'],
      items.map((t) => [t.app_id, time(t.registered_at), t.bundle_ids.join(',') || null, t.rate_limits ? JSON.stringify(t.rate_limits) : null]),
    ),
  );
}

function printKey(k: { app_id: string; key: string }, json: boolean | undefined, verb: string): void {
  if (json) return printJson(k);
  // The key goes to stdout alone, so `KEY=$(npm run -s ops -- tenants add x)` captures just it.
  console.error(`${verb} ${k.app_id}; its key (shown once, stored only as a hash):`);
  console.log(k.key);
}

interface SettingsOptions {
  rateLimits?: string;
  bundleIds?: string;
}

/** `--rate-limits JSON` and `--bundle-ids a,b` as settings, or one line saying what is wrong. */
function settingsOf(o: SettingsOptions): TenantSettings {
  const settings: TenantSettings = {};
  if (o.rateLimits !== undefined) {
    const parsed = RateLimits.safeParse((() => {
      try {
        return JSON.parse(o.rateLimits) as unknown;
      } catch {
        return undefined;
      }
    })());
    if (!parsed.success) throw new OpsError('--rate-limits must be JSON like {"bots.execute": "60/min"}');
    settings.rate_limits = parsed.data;
  }
  if (o.bundleIds !== undefined) {
    const parsed = BundleIds.safeParse(o.bundleIds.split(',').map((b) => b.trim()).filter(Boolean));
    if (!parsed.success) throw new OpsError(`--bundle-ids must be distinct reverse-DNS bundle ids separated by commas, e.g. com.example.app,com.example.app.widget (${parsed.error.issues[0]?.message ?? 'invalid'})`);
    settings.bundle_ids = parsed.data;
  }
  return settings;
}

/** `tenants add <app_id> [--rate-limits JSON] [--bundle-ids a,b]`. */
export async function tenantsAddCommand(ops: Ops, id: string, o: SettingsOptions & { json?: boolean }): Promise<void> {
  const app = appId(id);
  const settings = settingsOf(o);
  const d = await tenantAdminDeps(ops, 'tenants add', { secret: true });
  printKey(await asOps(registerTenant(d, app, settings)), o.json, 'registered');
}

/** `tenants update <app_id> [--rate-limits JSON] [--bundle-ids a,b]`: what is given replaces, the rest stays. */
export async function tenantsUpdateCommand(ops: Ops, id: string, o: SettingsOptions & { json?: boolean }): Promise<void> {
  const app = appId(id);
  const settings = settingsOf(o);
  if (settings.rate_limits === undefined && settings.bundle_ids === undefined) throw new OpsError('give --rate-limits, --bundle-ids or both');
  const d = await tenantAdminDeps(ops, 'tenants update', { secret: false });
  const updated = await asOps(updateTenant(d, app, settings));
  if (o.json) return printJson(updated);
  console.log(`updated ${app}: bundle ids ${updated.bundle_ids.join(',') || '(none)'}; rate limits ${updated.rate_limits ? JSON.stringify(updated.rate_limits) : '(defaults)'}`);
}

/** `tenants rotate <app_id>`. */
export async function tenantsRotateCommand(ops: Ops, id: string, o: { json?: boolean }): Promise<void> {
  const app = appId(id);
  const d = await tenantAdminDeps(ops, 'tenants rotate', { secret: true });
  printKey(await asOps(rotateTenantKey(d, app)), o.json, 'rotated the key of');
}

/** `tenants remove <app_id>`: its key stops working; its data stays until `purge-tenant`. */
export async function tenantsRemoveCommand(ops: Ops, id: string, o: { json?: boolean }): Promise<void> {
  const app = appId(id, { existing: true });
  const d = await tenantAdminDeps(ops, 'tenants remove', { secret: false });
  if (!(await removeTenant(d, app))) throw new OpsError(`app ${app} is not registered`);
  if (o.json) return printJson({ app_id: app, removed: true });
  console.log(`removed ${app}; its data stays until \`purge-tenant ${app} --yes\``);
}
