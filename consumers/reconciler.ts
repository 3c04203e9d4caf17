import { STREAMS } from '@mayfly/contracts';
import type { KV } from '@nats-io/kv';
import type { Database } from '../server/db/database.ts';
import type { Logger } from '../server/logger.ts';
import type { Metrics } from '../server/metrics.ts';
import type { Broker } from '../server/nats/connect.ts';
import { isStreamNotFound } from '../server/nats/errors.ts';
import { enqueuePurges, type ExpiringTable } from './expiry.ts';
import { Lease, sleep, whileLeader } from './lease.ts';

/** What one reconciler run removed. */
export interface ReconcileReport {
  holder: string;
  started_at: string;
  duration_ms: number;
  /** Rows removed per table: TTL passed, or their source message left the broker. */
  rows: Record<string, { expired: number; source_gone: number }>;
  /** Broker messages removed per stream (subjects purged, messages in them). */
  purged: Record<string, { subjects: number; messages: number }>;
}

export interface ReconcilerDeps {
  db: Database;
  broker: Broker;
  log: Logger;
  metrics: Metrics;
  tables: ExpiringTable[];
  holder: string;
  now: () => Date;
  /** Rows deleted per statement: each batch is its own short transaction. */
  batchSize?: number;
}

/**
 * Hard-deletes what has expired, everywhere: projected rows whose TTL passed, rows whose
 * source message the broker has already dropped (`last_seq < first_seq`), and broker messages
 * of items that expired or were deleted before their stream's max-age would drop them.
 */
export class Reconciler {
  readonly #stop = new AbortController();
  #running: Promise<void> | undefined;
  readonly #batch: number;

  constructor(private readonly deps: ReconcilerDeps) {
    this.#batch = deps.batchSize ?? 10_000;
  }

  /** Runs every `intervalMs` on whichever process holds the `reconciler` lease. */
  start(intervalMs: number, leases: KV, leaseTtlMs: number): void {
    const lease = new Lease(leases, 'reconciler', this.deps.holder);
    const log = this.deps.log.child({ component: 'reconciler' });
    this.#running = whileLeader(lease, leaseTtlMs, this.#stop.signal, log, async (signal) => {
      while (!signal.aborted) {
        await this.runOnce();
        await sleep(intervalMs, signal);
      }
    });
  }

  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#running;
  }

  /** One full pass; logged, counted and recorded in `reconciler_runs`. */
  async runOnce(): Promise<ReconcileReport> {
    const { db, log, metrics, now } = this.deps;
    const started = now();
    const t0 = performance.now();
    const report: ReconcileReport = { holder: this.deps.holder, started_at: started.toISOString(), duration_ms: 0, rows: {}, purged: {} };
    for (const t of this.deps.tables) {
      const stream = STREAMS[t.stream].name;
      const firstSeq = await this.#firstSeq(stream);
      const expired = await this.#deleteInBatches(t, 'expires_at <= $1', [started.toISOString()], firstSeq);
      const sourceGone = firstSeq === undefined ? 0 : await this.#deleteInBatches(t, 'last_seq < $1', [firstSeq], undefined);
      report.rows[t.table] = { expired, source_gone: sourceGone };
      metrics.reconcilerRowsDeleted.inc({ table: t.table, reason: 'expired' }, expired);
      metrics.reconcilerRowsDeleted.inc({ table: t.table, reason: 'source_gone' }, sourceGone);
    }
    report.purged = await this.#drainPurgeQueue();
    for (const [stream, p] of Object.entries(report.purged)) metrics.reconcilerMessagesPurged.inc({ stream }, p.messages);
    report.duration_ms = Math.round(performance.now() - t0);
    metrics.reconcilerRuns.inc();
    metrics.reconcilerDuration.observe(report.duration_ms / 1000);
    await db.query('INSERT INTO reconciler_runs (holder, started_at, duration_ms, report) VALUES ($1, $2, $3, $4)', [
      report.holder,
      report.started_at,
      report.duration_ms,
      JSON.stringify(report),
    ]);
    await db.query('DELETE FROM reconciler_runs WHERE id <= (SELECT max(id) - 500 FROM reconciler_runs)');
    log.info({ component: 'reconciler', ...report }, 'reconciled');
    return report;
  }

  async #firstSeq(stream: string): Promise<number | undefined> {
    try {
      return (await this.deps.broker.jsm.streams.info(stream)).state.first_seq;
    } catch (err) {
      if (isStreamNotFound(err)) return undefined;
      throw err;
    }
  }

  /**
   * Deletes matching rows in batches of `#batch`, each its own transaction, by physical row
   * address (`ctid`): no lock is held for long and reads go on. Rows whose message is still
   * in the broker (`last_seq >= firstSeq`) get their subject queued for purging.
   */
  async #deleteInBatches(t: ExpiringTable, where: string, params: unknown[], firstSeq: number | undefined): Promise<number> {
    const stream = STREAMS[t.stream].name;
    let total = 0;
    for (;;) {
      const removed = await this.deps.db.transaction(async (tx) => {
        const rows = await tx.query<{ tenant: string; id: string; last_seq: number }>(
          `DELETE FROM ${t.table} WHERE ctid = ANY(ARRAY(
             SELECT ctid FROM ${t.table} WHERE ${where} LIMIT ${this.#batch}
           )) RETURNING tenant, id::text AS id, last_seq`,
          params,
        );
        if (firstSeq !== undefined) {
          const live = rows.filter((r) => r.last_seq >= firstSeq);
          await enqueuePurges(tx, stream, live.map((r) => t.subject(r.tenant, r.id)));
        }
        return rows.length;
      });
      total += removed;
      if (removed < this.#batch) return total;
    }
  }

  /** Purges every queued subject from its stream, then forgets it. */
  async #drainPurgeQueue(): Promise<ReconcileReport['purged']> {
    const { db, broker } = this.deps;
    const purged: ReconcileReport['purged'] = {};
    for (;;) {
      const queued = await db.query<{ id: number; stream: string; subject: string }>(
        'SELECT id, stream, subject FROM purge_queue ORDER BY id LIMIT 256',
      );
      if (queued.length === 0) return purged;
      await Promise.all(
        queued.map(async (q) => {
          let messages = 0;
          try {
            messages = (await broker.jsm.streams.purge(q.stream, { filter: q.subject })).purged;
          } catch (err) {
            if (!isStreamNotFound(err)) throw err;
          }
          const p = (purged[q.stream] ??= { subjects: 0, messages: 0 });
          p.subjects += 1;
          p.messages += messages;
        }),
      );
      await db.query('DELETE FROM purge_queue WHERE id = ANY($1::bigint[])', [queued.map((q) => q.id)]);
    }
  }
}
