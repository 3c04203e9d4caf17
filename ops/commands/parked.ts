import { dropParked, listParked, retryParked } from '../../consumers/projector/parked.ts';
import { catalog } from '../../server/modules/index.ts';
import { MayflyError } from '../../server/platform/errors.ts';
import type { Ops } from '../context.ts';
import { OpsError } from '../errors.ts';
import { printJson, table, time } from '../format.ts';

/** A projection name and a stream sequence, as typed; refused in one line when they are not one. */
function target(projection: string, seq: string): { projection: string; seq: number } {
  if (!catalog.projections.some((p) => p.name === projection)) {
    throw new OpsError(`"${projection}" is not a projection (${catalog.projections.map((p) => p.name).join(', ')})`);
  }
  const n = Number(seq);
  if (!Number.isSafeInteger(n) || n < 1) throw new OpsError(`"${seq}" is not a stream sequence`);
  return { projection, seq: n };
}

/** `parked list [--projection <name>]`: events projectors could not apply, parked and skipped. */
export async function parkedListCommand(ops: Ops, o: { projection?: string; json?: boolean }): Promise<void> {
  const items = await listParked(await ops.db('parked list'), o.projection);
  if (o.json) return printJson({ items });
  if (items.length === 0) return void console.log('nothing is parked');
  console.log(
    table(
      ['PROJECTION', 'SEQ', 'TENANT', 'ATTEMPTS', 'FIRST FAILED', 'LAST FAILED', 'ERROR'],
      items.map((p) => [p.projection, p.seq, p.tenant, p.attempts, time(p.first_failed_at), time(p.last_failed_at), p.error]),
    ),
  );
}

/** `parked retry <projection> <seq>`: applies the event again (its cause fixed). */
export async function parkedRetryCommand(ops: Ops, projection: string, seq: string, o: { json?: boolean }): Promise<void> {
  const t = target(projection, seq);
  try {
    await retryParked({ db: await ops.db('parked retry'), broker: await ops.broker(), projections: catalog.projections, now: ops.now }, t.projection, t.seq);
  } catch (err) {
    if (err instanceof MayflyError) throw new OpsError(err.message);
    throw err;
  }
  if (o.json) return printJson({ ...t, retried: true });
  console.log(`applied ${t.projection} event ${t.seq}; it is no longer parked`);
}

/** `parked drop <projection> <seq>`: forgets the event; it stays unapplied. */
export async function parkedDropCommand(ops: Ops, projection: string, seq: string, o: { json?: boolean }): Promise<void> {
  const t = target(projection, seq);
  if (!(await dropParked(await ops.db('parked drop'), t.projection, t.seq))) throw new OpsError(`no ${t.projection} event ${t.seq} is parked`);
  if (o.json) return printJson({ ...t, dropped: true });
  console.log(`dropped ${t.projection} event ${t.seq}; it stays unapplied`);
}
