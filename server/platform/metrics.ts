import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { EVENTS } from '@mayfly/contracts';

/** The service's Prometheus metrics, one registry per process (tests build their own). */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'mayfly_' });
  // Replays run in the ops CLI, which nobody scrapes: their progress is read from `replay_runs`
  // at scrape time, through whatever the composition root plugs in here.
  const replayFeed: { read?: () => Promise<ReplayProgress[]> } = {};
  const metrics = {
    registry,
    replayFeed,
    replayEvents: new Counter({
      name: 'mayfly_replay_events_total',
      help: 'Events applied to shadow tables by projection replays, by projection (from replay_runs)',
      labelNames: ['projection'] as const,
      registers: [registry],
      async collect() {
        const rows = (await replayFeed.read?.()) ?? [];
        this.reset();
        for (const r of rows) this.inc({ projection: r.projection }, r.events);
      },
    }),
    replayProgress: new Gauge({
      name: 'mayfly_replay_progress_ratio',
      help: 'Share of its stream the latest replay of each projection has applied (1 once swapped in)',
      labelNames: ['projection'] as const,
      registers: [registry],
      async collect() {
        const rows = (await replayFeed.read?.()) ?? [];
        this.reset();
        for (const r of rows) this.set({ projection: r.projection }, r.ratio);
      },
    }),
    httpRequests: new Counter({
      name: 'mayfly_http_requests_total',
      help: 'HTTP requests by tenant, procedure and status',
      labelNames: ['tenant', 'procedure', 'status'] as const,
      registers: [registry],
    }),
    refusalsHeld: new Counter({
      name: 'mayfly_http_refusals_held_total',
      help: 'Refusals answered late because their client address kept being refused (REFUSAL_DELAY_MS)',
      registers: [registry],
    }),
    procedureCalls: new Counter({
      name: 'mayfly_procedure_calls_total',
      help: 'Calls of apps’ procedures by kind (query: a read, mutation: a write, subscription), tRPC and REST alike',
      labelNames: ['kind'] as const,
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: 'mayfly_http_request_duration_seconds',
      help: 'HTTP request latency by procedure',
      labelNames: ['procedure'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    eventsPublished: new Counter({
      name: 'mayfly_events_published_total',
      help: 'Domain events published to JetStream, by stream and type',
      labelNames: ['stream', 'type'] as const,
      registers: [registry],
    }),
    eventsApplied: new Counter({
      name: 'mayfly_projection_events_applied_total',
      help: 'Events applied by each projection',
      labelNames: ['projection'] as const,
      registers: [registry],
    }),
    projectionParked: new Counter({
      name: 'mayfly_projection_parked_events_total',
      help: 'Events a projection could not apply, parked and skipped (npm run ops -- parked list)',
      labelNames: ['projection'] as const,
      registers: [registry],
    }),
    eventsInvalid: new Counter({
      name: 'mayfly_projection_events_invalid_total',
      help: 'Events a projection skipped because they failed their schema',
      labelNames: ['projection'] as const,
      registers: [registry],
    }),
    projectionCheckpoint: new Gauge({
      name: 'mayfly_projection_checkpoint_sequence',
      help: 'Last stream sequence applied by each projection',
      labelNames: ['projection', 'stream'] as const,
      registers: [registry],
    }),
    projectionLagSeconds: new Gauge({
      name: 'mayfly_projection_lag_seconds',
      help: 'Age of the newest event in the last applied batch when its commit finished',
      labelNames: ['projection'] as const,
      registers: [registry],
    }),
    projectionLagMessages: new Gauge({
      name: 'mayfly_projection_lag_messages',
      help: 'Messages the projection has not applied yet (consumer pending)',
      labelNames: ['projection'] as const,
      registers: [registry],
    }),
    reconcilerRuns: new Counter({
      name: 'mayfly_reconciler_runs_total',
      help: 'Reconciler runs completed on this process',
      registers: [registry],
    }),
    reconcilerDuration: new Histogram({
      name: 'mayfly_reconciler_run_duration_seconds',
      help: 'How long a reconciler run took',
      buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60],
      registers: [registry],
    }),
    reconcilerRowsDeleted: new Counter({
      name: 'mayfly_reconciler_rows_deleted_total',
      help: 'Projected rows hard-deleted by the reconciler, by table and reason (expired, source_gone)',
      labelNames: ['table', 'reason'] as const,
      registers: [registry],
    }),
    reconcilerMessagesPurged: new Counter({
      name: 'mayfly_reconciler_messages_purged_total',
      help: 'Broker messages of expired or deleted items removed by the reconciler',
      labelNames: ['stream'] as const,
      registers: [registry],
    }),
    // Counts are all e-mail leaves behind: no addresses, no per-mail records.
    emailSent: new Counter({
      name: 'mayfly_email_sent_total',
      help: 'E-mails handed to the transport (SendGrid accepted them, or the console printed them), by tenant',
      labelNames: ['tenant'] as const,
      registers: [registry],
    }),
    emailFailed: new Counter({
      name: 'mayfly_email_failed_total',
      help: 'E-mails given up, by tenant and reason (rejected: a 4xx other than 429; gave_up: retries ran out of time)',
      labelNames: ['tenant', 'reason'] as const,
      registers: [registry],
    }),
    storageObjectsDeleted: new Counter({
      name: 'mayfly_storage_objects_deleted_total',
      help: 'S3 objects deleted at their TTL (or found already gone)',
      registers: [registry],
    }),
  };
  // Every event type's series from the start (a closed set: the catalog).
  for (const [type, { stream }] of Object.entries(EVENTS)) metrics.eventsPublished.inc({ stream, type }, 0);
  return metrics;
}

export type Metrics = ReturnType<typeof createMetrics>;

/** One projection's replays as the metrics show them. */
export interface ReplayProgress {
  projection: string;
  /** Events applied by every recorded replay of the projection. */
  events: number;
  /** Progress of its latest replay, 0..1. */
  ratio: number;
}

/**
 * Drops every series labelled with this app (an app removed from the registry): per-app
 * series exist only for registered apps, and go with the registration.
 */
export async function forgetTenantSeries(metrics: Metrics, appId: string): Promise<void> {
  for (const counter of [metrics.httpRequests, metrics.emailSent, metrics.emailFailed] as Counter<string>[]) {
    for (const { labels } of (await counter.get()).values) if (labels.tenant === appId) counter.remove(labels as Record<string, string>);
  }
}
