import { Reconciler } from '../../consumers/reconciler/reconciler.ts';
import { createMetrics } from '../../server/platform/metrics.ts';
import { catalog } from '../../server/modules/index.ts';
import type { Ops } from '../context.ts';
import { printJson, table } from '../format.ts';

/**
 * `reconcile`: one reconciler run now, recorded in `reconciler_runs` like the scheduled ones.
 * It does not wait for the service's reconciler lease (its holder keeps it for good): a run
 * beside a scheduled one only deletes what has expired, and deleting twice is harmless.
 */
export async function reconcileCommand(ops: Ops, o: { json?: boolean }): Promise<void> {
  const db = await ops.db('reconcile');
  const broker = await ops.broker();
  const reconciler = new Reconciler({ db, broker, log: ops.log, metrics: createMetrics(), tables: catalog.expiring, records: catalog.expiringRecords, holder: `ops:${ops.holder}`, now: ops.now });
  const report = await reconciler.runOnce();
  if (o.json) return printJson(report);
  console.log(`reconciled in ${report.duration_ms} ms`);
  console.log(table(['TABLE', 'EXPIRED', 'SOURCE GONE'], Object.entries(report.rows).map(([t, r]) => [t, r.expired, r.source_gone])));
  const purged = Object.entries(report.purged);
  if (purged.length > 0) console.log(table(['STREAM', 'SUBJECTS PURGED', 'MESSAGES'], purged.map(([s, p]) => [s, p.subjects, p.messages])));
}
