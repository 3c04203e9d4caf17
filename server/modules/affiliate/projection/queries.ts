import type { AffiliateStatsItem } from '@mayfly/contracts';
import type { Queryable } from '../../../platform/db/database.ts';

/** At most this many stats rows per answer: the caller narrows by code or days beyond it. */
export const MAX_STATS_ITEMS = 10_000;

interface StatsRow {
  code: string;
  event: string;
  day: string;
  count: number;
  value_sum: string;
}

/**
 * A tenant's counts by code, event and day. A key with a sealed total answers from
 * conversion_rollups; only keys without one answer from conversion_counts. A day is never
 * counted twice, and a sealed day survives its raw events (and their projected rows).
 * Returns at most `limit` rows.
 */
export async function conversionStats(
  q: Queryable,
  tenant: string,
  filter: { code?: string | undefined; from?: string | undefined; to?: string | undefined },
  limit: number,
): Promise<AffiliateStatsItem[]> {
  const rows = await q.query<StatsRow>(
    `WITH sealed AS (
       SELECT code, event, day, count, value_sum FROM conversion_rollups
       WHERE tenant = $1 AND ($2::text IS NULL OR code = $2)
         AND ($3::date IS NULL OR day >= $3::date) AND ($4::date IS NULL OR day <= $4::date)
     ), unsealed AS (
       SELECT c.code, c.event, c.day, c.count, c.value_sum FROM conversion_counts c
       WHERE c.tenant = $1 AND ($2::text IS NULL OR c.code = $2)
         AND ($3::date IS NULL OR c.day >= $3::date) AND ($4::date IS NULL OR c.day <= $4::date)
         AND NOT EXISTS (SELECT 1 FROM conversion_rollups r
                         WHERE r.tenant = c.tenant AND r.code = c.code AND r.event = c.event AND r.day = c.day)
     )
     SELECT code, event, to_char(day, 'YYYY-MM-DD') AS day, count, value_sum::text AS value_sum
     FROM (SELECT * FROM sealed UNION ALL SELECT * FROM unsealed) t
     ORDER BY t.day, code, event
     LIMIT $5`,
    [tenant, filter.code ?? null, filter.from ?? null, filter.to ?? null, limit],
  );
  return rows.map((r) => ({ code: r.code, event: r.event, day: r.day, count: r.count, value_sum: Number(r.value_sum) }));
}

/** A count that needs a (new) seal, and the ROLLUPS sequence of its current seal (0: none). */
export interface UnsealedTotal {
  tenant: string;
  code: string;
  event: string;
  day: string;
  count: number;
  value_sum: string;
  sealed_seq: number;
}

type Key = Pick<UnsealedTotal, 'tenant' | 'code' | 'event' | 'day'>;

/**
 * Counts of days before `beforeDay` that have no sealed total, or whose total grew past it
 * (an event that reached the stream after its day was sealed). Keyset-paged after `after`.
 */
export async function unsealedTotals(q: Queryable, beforeDay: string, after: Key | undefined, limit: number): Promise<UnsealedTotal[]> {
  const params: unknown[] = [beforeDay, limit];
  let page = '';
  if (after) {
    params.push(after.day, after.tenant, after.code, after.event);
    page = 'AND (c.day, c.tenant, c.code, c.event) > ($3::date, $4::text, $5::text, $6::text)';
  }
  return q.query<UnsealedTotal>(
    `SELECT c.tenant, c.code, c.event, to_char(c.day, 'YYYY-MM-DD') AS day, c.count, c.value_sum::text AS value_sum,
            coalesce(r.last_seq, 0) AS sealed_seq
     FROM conversion_counts c
     LEFT JOIN conversion_rollups r ON r.tenant = c.tenant AND r.code = c.code AND r.event = c.event AND r.day = c.day
     WHERE c.day < $1::date AND (r.tenant IS NULL OR c.count > r.count) ${page}
     ORDER BY c.day, c.tenant, c.code, c.event
     LIMIT $2`,
    params,
  );
}

/**
 * Deletes up to `limit` counts whose every event has left CONVERSIONS (`last_seq < firstSeq`)
 * and whose sealed total covers them: the rollup answers for them from now on. A count the
 * projector raises meanwhile no longer matches and stays. Returns how many went.
 */
export async function pruneSealedCounts(q: Queryable, firstSeq: number, limit: number): Promise<number> {
  const rows = await q.query(
    `DELETE FROM conversion_counts WHERE ctid = ANY(ARRAY(
       SELECT c.ctid FROM conversion_counts c
       JOIN conversion_rollups r ON r.tenant = c.tenant AND r.code = c.code AND r.event = c.event AND r.day = c.day
       WHERE c.last_seq < $1 AND r.count >= c.count
       LIMIT $2
     )) AND last_seq < $1
     RETURNING 1`,
    [firstSeq, limit],
  );
  return rows.length;
}
