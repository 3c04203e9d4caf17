import type { LeaderJob } from '../../../consumers/jobs/leader-job.ts';
import type { Config } from '../../platform/config.ts';
import type { Database } from '../../platform/db/database.ts';
import type { Logger } from '../../platform/logger.ts';
import type { Metrics } from '../../platform/metrics.ts';
import { DELETE_BATCH, deleteObjects } from './delete-objects.ts';
import { dropObjectDeletions, queuedObjectDeletions } from './object-deletions.ts';
import { bucketFor } from './s3.ts';

export interface ObjectReaperDeps {
  db: Database;
  config: Config;
  log: Logger;
  metrics: Metrics;
}

/** What one reaper run did. */
export interface ReapReport {
  deleted: number;
  /** Objects S3 would not delete this time; they stay queued for the next run. */
  failed: number;
}

/**
 * Deletes the S3 objects queued in `object_deletions` (by the reconciler when an upload's row
 * expires, by the projection for uploads that were expired on arrival), then forgets them. A
 * row leaves the queue only after S3 confirmed the deletion, so a crash or an S3 outage
 * delays a deletion but never loses it. One process at a time (a lease), like the reconciler.
 */
export class ObjectReaper {
  #warnedUnconfigured = false;

  constructor(private readonly deps: ObjectReaperDeps) {}

  /** The reaper as a leader job: one run every `intervalMs`, on one process at a time. */
  job(intervalMs: number): LeaderJob {
    return { name: 'object-reaper', intervalMs, run: (signal) => this.reapOnce(signal) };
  }

  /** Drains the queue batch by batch until it is empty or only failing keys are left. */
  async reapOnce(signal?: AbortSignal): Promise<ReapReport> {
    const { db, config, log, metrics } = this.deps;
    const report: ReapReport = { deleted: 0, failed: 0 };
    let afterId = 0;
    while (!signal?.aborted) {
      const queued = await queuedObjectDeletions(db, DELETE_BATCH, afterId);
      if (queued.length === 0) break;
      const bucket = await bucketFor(config);
      if (!bucket) {
        if (!this.#warnedUnconfigured) log.warn({ component: 'object-reaper' }, 'objects are due for deletion but S3 is not configured');
        this.#warnedUnconfigured = true;
        break;
      }
      const failed = await deleteObjects(bucket, queued.map((q) => q.key));
      const done = queued.filter((q) => !failed.has(q.key));
      await dropObjectDeletions(db, done.map((q) => q.id));
      const deleted = new Set(done.map((q) => q.key)).size;
      report.deleted += deleted;
      report.failed += failed.size;
      metrics.storageObjectsDeleted.inc(deleted);
      // Failing keys stay queued for the next run; this one moves past them.
      afterId = queued[queued.length - 1]!.id;
      if (queued.length < DELETE_BATCH) break;
    }
    if (report.deleted + report.failed > 0) log.info({ component: 'object-reaper', ...report }, 'deleted expired objects');
    return report;
  }
}
