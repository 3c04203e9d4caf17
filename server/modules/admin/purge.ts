import { STREAMS, tenantToken, type StreamName } from '@mayfly/contracts';
import { durableName } from '../../../consumers/projector/projector.ts';
import type { Services } from '../../trpc/context.ts';
import { isStreamNotFound } from '../../platform/nats/errors.ts';

/** What a purge removed. */
export interface PurgeReport {
  messages: Record<string, number>;
  rows: Record<string, number>;
}

/**
 * Erases every trace of an app that Mayfly holds: its messages in every stream (purge by
 * subject, TENANTS and ROLLUPS included), its rows in every table that has a `tenant` column
 * (found in the catalog, so a new module's tables are covered without a list to keep) and in
 * the few that name it otherwise, and whatever modules keep elsewhere (their `purgeTenant`
 * hooks, e.g. the bucket prefix). Its metrics series go with its registration, on every
 * instance (see the registry's `tenant.removed`).
 */
export async function purgeTenant(s: Services, appId: string): Promise<PurgeReport> {
  const token = tenantToken(appId);
  const report: PurgeReport = { messages: {}, rows: {} };
  /** The app's last message in each stream, before the purge. */
  const lastOfApp = new Map<string, number>();
  for (const [key, spec] of Object.entries(STREAMS) as [StreamName, (typeof STREAMS)[StreamName]][]) {
    const filter = spec.name === STREAMS.TENANTS.name ? `${spec.prefix}.${token}` : `${spec.prefix}.${token}.>`;
    try {
      lastOfApp.set(spec.name, await s.consistency.lastSequence(key, filter).catch(() => 0));
      report.messages[spec.name] = (await s.broker.jsm.streams.purge(spec.name, { filter })).purged;
    } catch (err) {
      if (!isStreamNotFound(err)) throw err;
    }
  }
  // A message a projector fetched before the purge is applied after it, and would re-create its
  // row after the delete below (the stream no longer shows it, so waiting for what the stream
  // holds does not help): let every projection apply what its consumer was given up to the
  // app's last message first. What was not delivered before the purge never will be.
  for (const p of s.catalog.projections) {
    const stream = STREAMS[p.stream].name;
    const delivered = await s.broker.jsm.consumers
      .info(stream, durableName(p.name))
      .then((c) => c.delivered.stream_seq)
      .catch(() => 0);
    const upTo = Math.min(lastOfApp.get(stream) ?? 0, delivered);
    if (upTo > 0) await s.consistency.waitForCheckpoint(p.name, stream, upTo).catch(() => undefined);
  }
  // Replay shadow tables too (`mayfly_replay_<run>` schemas): a replay swapping in after the
  // purge must not bring the app's rows back.
  const tables = await s.db.query<{ table_schema: string; table_name: string }>(
    `SELECT table_schema, table_name FROM information_schema.columns
     WHERE column_name = 'tenant' AND (table_schema = current_schema() OR table_schema LIKE 'mayfly\\_replay\\_%')
     ORDER BY table_schema <> current_schema(), table_schema, table_name`,
  );
  await s.db.transaction(async (tx) => {
    for (const { table_schema, table_name } of tables) {
      const rows = await tx.query<{ n: number }>(
        `WITH gone AS (DELETE FROM "${table_schema}"."${table_name}" WHERE tenant = $1 RETURNING 1) SELECT count(*)::int AS n FROM gone`,
        [appId],
      );
      const shadow = table_schema.startsWith('mayfly_replay_');
      if (!shadow || (rows[0]?.n ?? 0) > 0) report.rows[shadow ? `${table_schema}.${table_name}` : table_name] = rows[0]?.n ?? 0;
    }
    // Tables that name the app otherwise than in a `tenant` column, matched exactly (never by
    // pattern: `_` and `%` are app-id characters for LIKE): queued broker purges of its subjects
    // (done by the purge above), its rate-limit windows, the replays that rebuilt its rows.
    const named = [
      ['purge_queue', "split_part(subject, '.', 2) = $1", token],
      ['rate_windows', 'starts_with(bucket, $1)', `app:${appId}|`],
      ['replay_runs', "app_id = $1 AND status <> 'running'", appId],
    ] as const;
    for (const [table, where, value] of named) {
      const rows = await tx.query<{ n: number }>(`WITH gone AS (DELETE FROM ${table} WHERE ${where} RETURNING 1) SELECT count(*)::int AS n FROM gone`, [value]);
      report.rows[table] = rows[0]?.n ?? 0;
    }
  });
  for (const hook of s.catalog.purgeHooks) await hook(s, appId);
  return report;
}
