import { STREAMS } from '@mayfly/contracts';
import type { Projection } from '../../consumers/projection/projection.ts';
import { readCheckpoint } from '../../consumers/read-side/checkpoints.ts';
import type { Queryable } from '../../server/platform/db/database.ts';
import type { Broker } from '../../server/platform/nats/connect.ts';
import { OpsError } from '../errors.ts';
import { decodeBatch } from './decode.ts';
import { startSequence } from './from.ts';
import { readStream } from './read-stream.ts';
import { runningReplay } from './runs.ts';
import { appFilter } from './replay.ts';
import { ident } from './shadow.ts';

/** What a replay would apply, read from the stream without writing anything. */
export interface DryRunReport {
  projection: string;
  stream: string;
  table: string;
  app_id: string | null;
  filter: string | null;
  /** An unfinished replay that a real run would resume instead of starting over. */
  resumes_run: number | null;
  from_seq: number;
  to_seq: number;
  events: number;
  by_type: Record<string, number>;
  /** Events whose item's TTL has passed: `apply` drops what they would make. */
  expired: number;
  invalid: number;
  delete_markers: number;
  live_rows: number;
  checkpoint: number;
}

/** Reads what `replay` would apply and counts it; writes nothing. */
export async function dryRunReplay(
  deps: { db: Queryable; broker: Broker; now: () => Date },
  o: { projection: Projection; appId?: string | undefined; fromSeq?: number | undefined; since?: Date | undefined; batchSize?: number | undefined; signal?: AbortSignal | undefined },
): Promise<DryRunReport> {
  const p = o.projection;
  if (!p.table) throw new OpsError(`projection ${p.name} names no table, so it can not be rebuilt`);
  const stream = STREAMS[p.stream].name;
  const filter = appFilter(p, o.appId);
  const run = await runningReplay(deps.db, p.name);
  const fromSeq = run ? run.last_seq + 1 : await startSequence(deps.broker, stream, filter, { seq: o.fromSeq, since: o.since });
  const head = (await deps.broker.jsm.streams.info(stream)).state.last_seq;
  const now = deps.now().getTime();
  const report: DryRunReport = {
    projection: p.name,
    stream,
    table: p.table,
    app_id: o.appId ?? null,
    filter: filter ?? null,
    resumes_run: run?.id ?? null,
    from_seq: fromSeq,
    to_seq: head,
    events: 0,
    by_type: {},
    expired: 0,
    invalid: 0,
    delete_markers: 0,
    live_rows: 0,
    checkpoint: await readCheckpoint(deps.db, p.name, stream),
  };
  for await (const batch of readStream(deps.broker, { stream, filter, fromSeq, toSeq: head, batchSize: o.batchSize ?? 2_000, signal: o.signal })) {
    const decoded = decodeBatch(batch.msgs);
    report.invalid += decoded.invalid;
    for (const d of decoded.deliveries) {
      if (!('event' in d)) {
        report.delete_markers += 1;
        continue;
      }
      const { event } = d;
      report.events += 1;
      report.by_type[event.type] = (report.by_type[event.type] ?? 0) + 1;
      const expiresAt = (event.data as { expires_at?: unknown }).expires_at;
      if (typeof expiresAt === 'string' && Date.parse(expiresAt) <= now) report.expired += 1;
    }
  }
  const where = o.appId === undefined ? '' : ' WHERE tenant = $1';
  const [rows] = await deps.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${ident(p.table)}${where}`, o.appId === undefined ? [] : [o.appId]);
  report.live_rows = rows?.n ?? 0;
  return report;
}
