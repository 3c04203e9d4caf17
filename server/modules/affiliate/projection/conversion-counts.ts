import type { AffiliateEvent } from '@mayfly/contracts';
import { eventsOf, type Delivery, type EventDelivery, type Projection } from '../../../../consumers/projection/projection.ts';
import type { Queryable } from '../../../platform/db/database.ts';
import { addDecimal, decimalOf, formatDecimal, type Decimal } from '../decimal.ts';

/** What one event adds to a (tenant, code, event, day) count. */
export interface CountDelta {
  tenant: string;
  code: string;
  event: string;
  day: string;
  value: Decimal;
}

/** The count an affiliate event adds to, or null when it adds to none. */
export function countDelta(event: AffiliateEvent): CountDelta | null {
  switch (event.type) {
    case 'conversion.recorded':
      return {
        tenant: event.tenant,
        code: event.data.code,
        event: event.data.event,
        day: event.data.day,
        value: decimalOf(event.data.value),
      };
    case 'rollup.daily':
      return null; // sealed totals live in conversion_rollups
    default: {
      const _never: never = event;
      return _never;
    }
  }
}

interface Folded {
  delta: CountDelta;
  count: number;
  sum: Decimal;
  lastSeq: number;
}

/** Folds a batch into one row per key: the count and value sum it adds, and its newest sequence. */
export function foldCounts(events: EventDelivery[]): Folded[] {
  const rows = new Map<string, Folded>();
  for (const { event, seq } of events) {
    if (event.type !== 'conversion.recorded' && event.type !== 'rollup.daily') continue;
    const delta = countDelta(event);
    if (!delta) continue;
    const key = `${delta.tenant}\u0000${delta.code}\u0000${delta.event}\u0000${delta.day}`;
    const row = rows.get(key);
    if (row) {
      row.count += 1;
      row.sum = addDecimal(row.sum, delta.value);
      row.lastSeq = seq;
    } else {
      rows.set(key, { delta, count: 1, sum: delta.value, lastSeq: seq });
    }
  }
  return [...rows.values()];
}

/**
 * Adds a batch to the counts with one UNNEST upsert, whatever the batch size. It runs in the
 * projector's transaction with the checkpoint, so a redelivered event never adds twice.
 */
async function apply(tx: Queryable, batch: readonly Delivery[]): Promise<void> {
  const events = eventsOf(batch);
  const rows = foldCounts(events);
  if (rows.length === 0) return;
  await tx.query(
    `INSERT INTO conversion_counts AS c (tenant, code, event, day, count, value_sum, last_seq)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::date[], $5::bigint[], $6::numeric[], $7::bigint[])
     ON CONFLICT (tenant, code, event, day) DO UPDATE SET count = c.count + excluded.count,
       value_sum = c.value_sum + excluded.value_sum, last_seq = greatest(c.last_seq, excluded.last_seq)`,
    [
      rows.map((r) => r.delta.tenant),
      rows.map((r) => r.delta.code),
      rows.map((r) => r.delta.event),
      rows.map((r) => r.delta.day),
      rows.map((r) => r.count),
      rows.map((r) => formatDecimal(r.sum)),
      rows.map((r) => r.lastSeq),
    ],
  );
}

/**
 * The `conversion_counts` projection, fed by CONVERSIONS. No `forget`: when a code's raw
 * events expire its counts stay (the sealer prunes them once their sealed total is safe).
 */
export const conversionCountsProjection: Projection = { name: 'conversion_counts', stream: 'CONVERSIONS', table: 'conversion_counts', apply };
