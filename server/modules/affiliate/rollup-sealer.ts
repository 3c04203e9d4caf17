import { rollupSubject, STREAMS, type StreamName } from '@mayfly/contracts';
import type { ReadConsistency } from '../../../consumers/read-side/consistency.ts';
import type { LeaderJob } from '../../../consumers/jobs/leader-job.ts';
import type { Config } from '../../platform/config.ts';
import type { Database } from '../../platform/db/database.ts';
import { MayflyError } from '../../platform/errors.ts';
import { newEvent, type EventPublisher } from '../../platform/events/publisher.ts';
import type { Logger } from '../../platform/logger.ts';
import type { Broker } from '../../platform/nats/connect.ts';
import { utcDay } from './day.ts';
import { nameUuid } from './name-uuid.ts';
import { conversionCountsProjection } from './projection/conversion-counts.ts';
import { conversionRollupsProjection } from './projection/conversion-rollups.ts';
import { pruneSealedCounts, unsealedTotals, type UnsealedTotal } from './projection/queries.ts';

/**
 * A day is sealed this long after it ended, not at once: a conversion stamped 23:59:59.9 may
 * still be on its way to the broker (publish timeout 10 s), or come from a host whose clock
 * is a little behind. One that is later still is not lost: it raises the raw count above the
 * sealed one, and the next run seals a correction.
 */
export const SEAL_GRACE_MS = 10 * 60_000;

export interface RollupSealerDeps {
  config: Pick<Config, 'ROLLUP_RETENTION_DAYS'>;
  db: Database;
  broker: Broker;
  events: EventPublisher;
  consistency: ReadConsistency;
  log: Logger;
  now: () => Date;
  graceMs?: number;
  /** How long a run waits for the projections to catch up before it gives up until the next. */
  catchUpTimeoutMs?: number;
}

/** What one sealing run did. */
export interface SealReport {
  /** Days before this one were complete and could be sealed. */
  before_day: string;
  /** New seals (first totals and corrections) published to ROLLUPS. */
  sealed: number;
  /** Seals that were already in ROLLUPS (another run, or a seal the projection had not applied yet). */
  already_sealed: number;
  /** Raw count rows removed because their events expired and their sealed totals answer for them. */
  pruned: number;
}

const PAGE = 500;
const PUBLISH_CONCURRENCY = 64;

/**
 * Seals the totals of completed days into ROLLUPS (kept ROLLUP_RETENTION_DAYS) before CONVERSIONS lets
 * their raw events expire, so that history survives both the expiry and a full replay.
 *
 * One `rollup.daily` event per (tenant, code, event, day), on its own subject, published with
 * `expect last subject sequence` = the seal it replaces (0 for the first): the stream holds
 * each seal once however many runs, processes or replays try, and a stale run loses the race
 * instead of writing an old total. The event id is derived from the total, so a retried publish
 * is also deduplicated by `Nats-Msg-Id`.
 */
export class RollupSealer {
  constructor(private readonly deps: RollupSealerDeps) {}

  /** The sealer as a leader job: one run every `intervalMs`, on one process at a time. */
  job(intervalMs: number): LeaderJob {
    return { name: 'rollup-sealer', intervalMs, run: (signal) => this.sealOnce(signal) };
  }

  /**
   * One run: wait for both projections, seal what is complete and unsealed, prune what
   * expired. `signal` ends it early (between pages) on shutdown or a lost lease.
   */
  async sealOnce(signal?: AbortSignal): Promise<SealReport> {
    const { db, now, log } = this.deps;
    const beforeDay = utcDay(new Date(now().getTime() - (this.deps.graceMs ?? SEAL_GRACE_MS)));
    await this.#caughtUp(conversionCountsProjection.name, conversionCountsProjection.stream, signal);
    await this.#caughtUp(conversionRollupsProjection.name, conversionRollupsProjection.stream, signal);
    const report: SealReport = { before_day: beforeDay, sealed: 0, already_sealed: 0, pruned: 0 };
    let after: UnsealedTotal | undefined;
    while (!signal?.aborted) {
      const page = await unsealedTotals(db, beforeDay, after, PAGE);
      for (let i = 0; i < page.length; i += PUBLISH_CONCURRENCY) {
        const outcomes = await Promise.all(page.slice(i, i + PUBLISH_CONCURRENCY).map((t) => this.#seal(t)));
        for (const fresh of outcomes) report[fresh ? 'sealed' : 'already_sealed'] += 1;
      }
      after = page[page.length - 1];
      if (page.length < PAGE) break;
    }
    if (!signal?.aborted) report.pruned = await this.#prune();
    if (report.sealed + report.pruned > 0) log.info({ component: 'rollup-sealer', ...report }, 'sealed conversion totals');
    return report;
  }

  /** Publishes one seal; false when ROLLUPS already has it (or a newer one). */
  async #seal(t: UnsealedTotal): Promise<boolean> {
    const now = this.deps.now();
    // The total goes ROLLUP_RETENTION_DAYS after it was sealed: its row then (the reconciler),
    // its message with the stream's max-age of the same length.
    const expiresAt = new Date(now.getTime() + this.deps.config.ROLLUP_RETENTION_DAYS * 86_400_000).toISOString();
    const data = { code: t.code, event: t.event, day: t.day, count: t.count, value_sum: t.value_sum, expires_at: expiresAt };
    const id = nameUuid(['rollup.daily', t.tenant, t.day, t.code, t.event, t.count, t.value_sum].join('|'));
    try {
      const ack = await this.deps.events.publish(
        newEvent('rollup.daily', t.tenant, data, now, id),
        rollupSubject(t.tenant, t.day, t.code, t.event),
        { expectLastSubjectSequence: t.sealed_seq },
      );
      return !ack.duplicate;
    } catch (err) {
      if (err instanceof MayflyError && err.code === 'CONFLICT') return false;
      throw err;
    }
  }

  /**
   * Waits until `projection` has applied everything its stream holds (an empty stream holds
   * nothing to wait for), so that the counts read next are final for every complete day.
   */
  async #caughtUp(projection: string, stream: StreamName, signal: AbortSignal | undefined): Promise<void> {
    const name = STREAMS[stream].name;
    const { state } = await this.deps.broker.jsm.streams.info(name);
    if (state.messages === 0) return;
    const waiting = this.deps.consistency.waitForCheckpoint(projection, name, state.last_seq, this.deps.catchUpTimeoutMs ?? 10_000);
    if (!signal) return waiting;
    // A stop must not wait for the catch-up timeout: give up the wait (its outcome is moot).
    waiting.catch(() => undefined);
    let onAbort = () => undefined as void;
    const stopped = new Promise<void>((resolve) => {
      onAbort = () => resolve();
      signal.addEventListener('abort', onAbort);
    });
    try {
      await Promise.race([waiting, stopped]);
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
    if (signal.aborted) throw new Error('sealing stopped');
  }

  /** Prunes raw counts whose events all expired, batch by batch (short transactions). */
  async #prune(): Promise<number> {
    const { state } = await this.deps.broker.jsm.streams.info(STREAMS.CONVERSIONS.name);
    let total = 0;
    for (;;) {
      const n = await pruneSealedCounts(this.deps.db, state.first_seq, 10_000);
      total += n;
      if (n < 10_000) return total;
    }
  }
}

