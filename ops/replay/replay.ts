import { STREAMS, tenantToken } from '@mayfly/contracts';
import { announceCheckpointReset, checkpointSubject } from '../../consumers/read-side/checkpoints.ts';
import { Lease } from '../../consumers/jobs/lease.ts';
import type { Delivery, Projection } from '../../consumers/projection/projection.ts';
import type { Database, Queryable } from '../../server/platform/db/database.ts';
import { OpsError } from '../errors.ts';
import { applyBatch } from './apply.ts';
import { decodeBatch } from './decode.ts';
import { startSequence } from './from.ts';
import { readStream } from './read-stream.ts';
import { abandonRun, advanceRun, insertRun, runningReplay, type RunRow } from './runs.ts';
import { addKeys, buildMissingIndexes, createShadow, dropShadow, hasKeys, liveSchema, qualified, shadowSchema, useShadow } from './shadow.ts';
import type { ReplayDeps } from './deps.ts';
import { swapAll, swapApp, type SwapContext, type SwapOutcome } from './swap.ts';

export type { ReplayDeps };


export interface ReplayOptions {
  projection: Projection;
  /** Rebuild only this app's rows. */
  appId?: string | undefined;
  fromSeq?: number | undefined;
  since?: Date | undefined;
  batchSize?: number | undefined;
  /** Stops after the batch in flight; the replay resumes where it stopped when run again. */
  signal?: AbortSignal | undefined;
  onProgress?: ((p: ReplayProgress) => void) | undefined;
}

/** Where a replay stands, after each batch. */
export interface ReplayProgress {
  run: number;
  /** Events applied to the shadow table so far (resumed runs included). */
  events: number;
  /** Of which applied by this invocation. */
  applied: number;
  /** Messages still to read when the batch was read. */
  pending: number;
  lastSeq: number;
  /**
   * `reading` the stream into the shadow table; `indexing`: the stream is read up to close to
   * its head, and the shadow's keys and indexes are being built (seconds per million rows).
   */
  stage: 'reading' | 'indexing';
}

/** What a replay did. */
export interface ReplayReport {
  run: number;
  projection: string;
  stream: string;
  app_id: string | null;
  /** `interrupted`: stopped before the swap; running the same command again resumes it. */
  status: 'finished' | 'interrupted';
  resumed: boolean;
  from_seq: number;
  last_seq: number;
  events: number;
  invalid: number;
  checkpoint_before: number | null;
  checkpoint: number | null;
  rows: number | null;
  seconds: number;
  events_per_second: number;
}

/** The stream filter of one app's messages, or undefined for all of them. */
export const appFilter = (projection: Projection, appId: string | undefined) =>
  appId === undefined ? undefined : `${STREAMS[projection.stream].prefix}.${tenantToken(appId)}.>`;

/**
 * Rebuilds a projection from its stream without stopping it:
 *
 * 1. Into a shadow table (a copy of the live table's definition in schema `mayfly_replay_<run>`)
 *    through an ordered consumer, applying the projection's own `apply` with that schema
 *    leading the search path, each batch in one transaction with the run's progress, so a
 *    replay that dies resumes exactly where it stopped. Only the projection's tables are
 *    written: no worker runs, nothing is sent.
 * 2. Once close to the head, the swap, in one transaction: lock the checkpoint row (a projector
 *    committing a batch waits on it: it is paused for exactly the swap), apply the last events,
 *    put the shadow table in place of the live one (or, with `appId`, replace that app's rows),
 *    set the checkpoint. A projector that resumes skips what the checkpoint covers.
 *
 * When the checkpoint must go back (it was ahead of the stream: the stream was recreated) the
 * projection's lease is taken for the swap, so its projector stands by and re-seats its
 * consumer at the new checkpoint + 1, and the trackers are told to take the lower checkpoint.
 */
export async function replayProjection(deps: ReplayDeps, o: ReplayOptions): Promise<ReplayReport> {
  const { db, broker } = deps;
  const p = o.projection;
  const table = p.table;
  if (!table) throw new OpsError(`projection ${p.name} names no table, so it can not be rebuilt`);
  const stream = STREAMS[p.stream].name;
  const filter = appFilter(p, o.appId);
  const batchSize = o.batchSize ?? 2_000;
  const started = performance.now();

  const runLease = new Lease(deps.leases, `replay.${p.name}`, deps.holder);
  if (!(await runLease.tryAcquire())) throw new OpsError(`a replay of ${p.name} is running in another process`);
  const lost = new AbortController();
  const renewer = setInterval(() => void runLease.renew().then((ok) => ok || lost.abort()), Math.max(100, deps.leaseTtlMs / 3));
  const signal = o.signal ? AbortSignal.any([o.signal, lost.signal]) : lost.signal;
  try {
    const live = await liveSchema(db);
    let run = await runningReplay(db, p.name);
    const resumed = run !== undefined;
    if (run) {
      if ((run.app_id ?? undefined) !== o.appId) {
        throw new OpsError(
          `an unfinished replay of ${p.name} (run ${run.id}, ${run.app_id ? `app ${run.app_id}` : 'every app'}) is waiting: resume it with the same --tenant, or drop it with --abandon`,
        );
      }
      if (o.fromSeq !== undefined || o.since !== undefined) {
        throw new OpsError(`an unfinished replay of ${p.name} (run ${run.id}, from seq ${run.from_seq}) is waiting: run without --from-seq/--since to resume it, or drop it with --abandon`);
      }
    } else {
      const fromSeq = await startSequence(broker, stream, filter, { seq: o.fromSeq, since: o.since });
      run = await db.transaction(async (tx) => {
        const created = await insertRun(tx, { projection: p.name, stream, appId: o.appId, fromSeq, holder: deps.holder, shadowOf: (id) => `${shadowSchema(id)}.${table}` });
        await createShadow(tx, shadowSchema(created.id), live, table, { keyed: !p.bulk });
        if (p.bulk) {
          await useShadow(tx, shadowSchema(created.id));
          await p.bulk.begin(tx);
        }
        return created;
      });
    }
    const r = run;
    const schema = shadowSchema(r.id);
    // A bulk load until the shadow has its keys (a run resumed after they were built, or one of
    // a projection that can not be bulk loaded, goes on with `apply`).
    const bulk = p.bulk && !(await hasKeys(db, schema, table)) ? p.bulk : undefined;
    const writeTo = (tx: Queryable, fresh: readonly Delivery[], now: Date) => (bulk ? bulk.append(tx, fresh, now) : p.apply(tx, fresh, now));
    let invalid = 0;
    const events0 = r.events;

    // 1. Bulk: up to close to the head, the live projector untouched.
    // One batch is written while the next is read and decoded: the stream and the database
    // work at the same time, and batches still commit one after another, in order.
    const write = async (decoded: ReturnType<typeof decodeBatch>, pending: number) => {
      const applied = await db.transaction(async (tx) => {
        await useShadow(tx, schema);
        const [row] = await tx.query<{ last_seq: number }>('SELECT last_seq FROM replay_runs WHERE id = $1 FOR UPDATE', [r.id]);
        const n = await applyBatch(tx, writeTo, decoded, row!.last_seq, deps.now());
        await advanceRun(tx, r.id, Math.max(row!.last_seq, decoded.lastSeq), n, pending);
        return n;
      });
      r.last_seq = Math.max(r.last_seq, decoded.lastSeq);
      r.events += applied;
      o.onProgress?.({ run: r.id, events: r.events, applied: r.events - events0, pending, lastSeq: r.last_seq, stage: 'reading' });
    };
    let writing: Promise<void> | undefined;
    for await (const batch of readStream(broker, { stream, filter, fromSeq: run.last_seq + 1, batchSize, stopWhenPendingBelow: batchSize, signal })) {
      const decoded = decodeBatch(batch.msgs);
      invalid += decoded.invalid;
      await writing; // a failed write stops the replay here; it resumes from the last commit
      writing = write(decoded, batch.pending);
      writing.catch(() => undefined); // awaited above or below; never unhandled meanwhile
    }
    await writing;
    if (bulk && signal.aborted && !lost.signal.aborted) {
      // Stopped half way: no copy of an item deleted after it was read waits here for the resume.
      await db.transaction(async (tx) => {
        await useShadow(tx, schema);
        await bulk.prune(tx);
      });
    }
    if (lost.signal.aborted) throw new OpsError(`lost the replay lease of ${p.name}; run the command again to resume`);
    if (!signal.aborted) {
      o.onProgress?.({ run: r.id, events: r.events, applied: r.events - events0, pending: 0, lastSeq: r.last_seq, stage: 'indexing' });
      if (bulk) {
        await db.transaction(async (tx) => {
          await useShadow(tx, schema);
          await bulk.settle(tx);
          await addKeys(tx, live, schema, table);
        });
      }
      await buildMissingIndexes(db, live, schema, table);
    }
    const report = (status: ReplayReport['status'], swap?: SwapOutcome): ReplayReport => {
      const seconds = (performance.now() - started) / 1000;
      return {
        run: r.id,
        projection: p.name,
        stream,
        app_id: o.appId ?? null,
        status,
        resumed,
        from_seq: r.from_seq,
        last_seq: swap?.lastSeq ?? r.last_seq,
        events: r.events + (swap?.applied ?? 0),
        invalid,
        checkpoint_before: swap?.before ?? null,
        checkpoint: swap?.after ?? null,
        rows: swap?.rows ?? null,
        seconds: Math.round(seconds * 1000) / 1000,
        events_per_second: seconds > 0 ? Math.round((r.events - events0 + (swap?.applied ?? 0)) / seconds) : 0,
      };
    };
    if (signal.aborted) return report('interrupted');

    // Fresh statistics before the table takes reads: the planner has none for a new table.
    await db.query(`ANALYZE ${qualified(schema, table)}`);
    // 2. The swap.
    const ctx: SwapContext = { deps, projection: p, stream, table, live, schema, run: r, batchSize, filter };
    const swap = o.appId === undefined ? await swapAll(ctx) : await swapApp(ctx, o.appId);
    if (swap.after < swap.before) announceCheckpointReset(broker.nc, p.name, stream, swap.after);
    else if (swap.after > swap.before) broker.nc.publish(checkpointSubject(p.name), JSON.stringify({ stream, seq: swap.after }));
    await broker.nc.flush();
    return report('finished', swap);
  } finally {
    clearInterval(renewer);
    await runLease.release();
  }
}

/** Drops the unfinished replay of `projection` and its shadow table; undefined when there is none. */
export async function abandonReplay(db: Database, projection: string): Promise<RunRow | undefined> {
  const run = await runningReplay(db, projection);
  if (!run) return undefined;
  await dropShadow(db, shadowSchema(run.id));
  await abandonRun(db, run.id);
  return run;
}
