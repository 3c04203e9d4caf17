import { catalog } from '../../server/modules/index.ts';
import type { Ops } from '../context.ts';
import { OpsError } from '../errors.ts';
import { printJson, table } from '../format.ts';
import { dryRunReplay } from '../replay/dry-run.ts';
import { progressView } from '../replay/progress.ts';
import { abandonReplay, replayProjection } from '../replay/replay.ts';

export interface ReplayCommandOptions {
  tenant?: string;
  fromSeq?: string;
  since?: string;
  dryRun?: boolean;
  abandon?: boolean;
  batchSize?: string;
  json?: boolean;
}

function parseOptions(o: ReplayCommandOptions) {
  if (o.fromSeq !== undefined && o.since !== undefined) throw new OpsError('give --from-seq or --since, not both');
  const fromSeq = o.fromSeq === undefined ? undefined : Number(o.fromSeq);
  if (fromSeq !== undefined && (!Number.isInteger(fromSeq) || fromSeq < 1)) throw new OpsError(`--from-seq must be a stream sequence (1 or more), got ${o.fromSeq}`);
  const since = o.since === undefined ? undefined : new Date(o.since);
  if (since !== undefined && Number.isNaN(since.getTime())) throw new OpsError(`--since must be a time such as 2026-05-01T00:00:00Z, got ${o.since}`);
  const batchSize = o.batchSize === undefined ? undefined : Number(o.batchSize);
  if (batchSize !== undefined && (!Number.isInteger(batchSize) || batchSize < 1)) throw new OpsError('--batch-size must be a positive integer');
  return { fromSeq, since, batchSize, appId: o.tenant };
}

/** `replay <projection>`: rebuild a projection from its stream while it keeps serving. */
export async function replayCommand(ops: Ops, name: string, o: ReplayCommandOptions, signal: AbortSignal): Promise<void> {
  const projection = catalog.projections.find((p) => p.name === name);
  if (!projection) throw new OpsError(`unknown projection "${name}"; known: ${catalog.projections.map((p) => p.name).join(', ')}`);
  const opts = parseOptions(o);
  const db = await ops.db('replay');
  const broker = await ops.broker();

  if (o.abandon) {
    const run = await abandonReplay(db, projection.name);
    if (o.json) return printJson({ abandoned: run?.id ?? null });
    console.log(run ? `abandoned replay ${run.id} of ${projection.name} (its shadow table is dropped)` : `no unfinished replay of ${projection.name}`);
    return;
  }
  if (o.dryRun) {
    const report = await dryRunReplay({ db, broker, now: ops.now }, { projection, ...opts, signal });
    if (o.json) return printJson(report);
    const scope = report.app_id ? `app ${report.app_id} (${report.filter})` : 'every app';
    console.log(`dry run: would rebuild ${report.table} (${report.projection}) for ${scope} from ${report.stream} seq ${report.from_seq}..${report.to_seq}`);
    if (report.resumes_run !== null) console.log(`resuming unfinished replay ${report.resumes_run}`);
    console.log(table(['EVENT TYPE', 'EVENTS'], Object.entries(report.by_type).map(([type, n]) => [type, n])));
    console.log(
      `${report.events} events (${report.expired} of items already expired: dropped by apply), ${report.invalid} invalid, ${report.delete_markers} delete markers; ` +
        `live table: ${report.live_rows} rows, checkpoint ${report.checkpoint}`,
    );
    return;
  }
  const { kv, ttlMs } = await ops.leases();
  const view = progressView(`replay ${projection.name}${opts.appId ? ` (${opts.appId})` : ''}`);
  let report;
  try {
    report = await replayProjection(
      { db, broker, leases: kv, leaseTtlMs: ttlMs, holder: ops.holder, now: ops.now },
      { projection, ...opts, signal, onProgress: (p) => view.update(p) },
    );
  } finally {
    view.done();
  }
  if (o.json) printJson(report);
  else if (report.status === 'interrupted') {
    console.log(`replay ${report.run} of ${report.projection} stopped at seq ${report.last_seq} after ${report.events} events; run the same command again to resume (or --abandon)`);
  } else {
    const moved = report.checkpoint === report.checkpoint_before ? `checkpoint ${report.checkpoint}` : `checkpoint ${report.checkpoint_before} -> ${report.checkpoint}`;
    console.log(
      `replay ${report.run} of ${report.projection}${report.app_id ? ` for ${report.app_id}` : ''} ${report.resumed ? 'resumed and ' : ''}swapped in: ` +
        `${report.events} events (seq ${report.from_seq}..${report.last_seq}), ${report.rows} rows, ${moved}, ${report.seconds} s, ${report.events_per_second} events/s` +
        (report.invalid > 0 ? `, ${report.invalid} invalid events skipped` : ''),
    );
  }
  if (report.status === 'interrupted') process.exitCode = 130;
}
