import { AppId, LegacyAppId } from '@mayfly/contracts';
import { purgeTenant, removeTenant } from '../../server/modules/admin/index.ts';
import type { Ops } from '../context.ts';
import { OpsError } from '../errors.ts';
import { printJson, table } from '../format.ts';
import { opsServices } from '../services.ts';

/**
 * Parses an app id as the edge does; a malformed one is refused before anything is touched.
 * `existing`: the id names an app that may be older than the current rule (removal, purge), so
 * the former, looser rule applies.
 */
export function appId(value: string, opts: { existing?: boolean } = {}): string {
  const parsed = (opts.existing ? LegacyAppId : AppId).safeParse(value);
  if (!parsed.success) throw new OpsError(`"${value}" is not an app id: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return parsed.data;
}

/**
 * `purge-tenant <app_id> --yes`: erase every trace of an app (streams, tables, bucket prefix),
 * as `DELETE /api/v1/admin/tenants/{app_id}?purge=true` does: a registered app is removed from
 * the registry first, so its key stops working on every instance at once.
 */
export async function purgeTenantCommand(ops: Ops, id: string, o: { yes?: boolean; json?: boolean }): Promise<void> {
  const app = appId(id, { existing: true });
  if (!o.yes) throw new OpsError(`purge-tenant erases every message, row and object of ${app}, for good: add --yes to go ahead`);
  const services = await opsServices(ops, 'purge-tenant');
  const unregistered = await removeTenant(services, app);
  const report = await purgeTenant(services, app);
  if (o.json) return printJson({ app_id: app, unregistered, ...report });
  console.log(`purged ${app}${unregistered ? ' and removed it from the registry' : ''}`);
  console.log(table(['STREAM', 'MESSAGES'], Object.entries(report.messages).map(([s, n]) => [s, n])));
  console.log(table(['TABLE', 'ROWS'], Object.entries(report.rows).map(([t, n]) => [t, n])));
}
