import type { AffiliateEvent } from '@mayfly/contracts';
import { eventsOf, type Delivery, type Projection } from '../../../../consumers/projection/projection.ts';
import type { Queryable } from '../../../platform/db/database.ts';

/** A sealed total as stored: the key, its count and value sum, and the seal's ROLLUPS sequence. */
export interface SealedTotal {
  tenant: string;
  code: string;
  event: string;
  day: string;
  count: number;
  value_sum: string;
  last_seq: number;
  expires_at: string;
}

const DAY_MS = 86_400_000;

/** The sealed total an affiliate event sets, or null when it sets none. */
export function sealedTotal(event: AffiliateEvent, seq: number): SealedTotal | null {
  switch (event.type) {
    case 'rollup.daily':
      return {
        tenant: event.tenant,
        code: event.data.code,
        event: event.data.event,
        day: event.data.day,
        count: event.data.count,
        value_sum: event.data.value_sum,
        last_seq: seq,
        // Seals from before seals carried their expiry: 401 days after their day.
        expires_at: event.data.expires_at ?? new Date(Date.parse(`${event.data.day}T00:00:00Z`) + 401 * DAY_MS).toISOString(),
      };
    case 'conversion.recorded':
      return null; // raw events are counted by conversion_counts
    default: {
      const _never: never = event;
      return _never;
    }
  }
}

/**
 * Keeps the newest seal of each key (a later seal corrects an earlier one), written with one
 * UNNEST upsert per batch. Setting rather than adding makes a repeated seal harmless. A seal
 * past its time (a replay of an old stream) makes no row.
 */
async function apply(tx: Queryable, batch: readonly Delivery[], now: Date): Promise<void> {
  const events = eventsOf(batch);
  const finals = new Map<string, SealedTotal>();
  for (const { event, seq } of events) {
    if (event.type !== 'conversion.recorded' && event.type !== 'rollup.daily') continue;
    const total = sealedTotal(event, seq);
    if (total) finals.set(`${total.tenant}\u0000${total.code}\u0000${total.event}\u0000${total.day}`, total);
  }
  const rows = [...finals.values()].filter((r) => Date.parse(r.expires_at) > now.getTime());
  if (rows.length === 0) return;
  await tx.query(
    `INSERT INTO conversion_rollups AS r (tenant, code, event, day, count, value_sum, last_seq, expires_at)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::date[], $5::bigint[], $6::numeric[], $7::bigint[], $8::timestamptz[])
     ON CONFLICT (tenant, code, event, day) DO UPDATE SET count = excluded.count, value_sum = excluded.value_sum,
       last_seq = excluded.last_seq, expires_at = excluded.expires_at
     WHERE r.last_seq < excluded.last_seq`,
    [
      rows.map((r) => r.tenant),
      rows.map((r) => r.code),
      rows.map((r) => r.event),
      rows.map((r) => r.day),
      rows.map((r) => r.count),
      rows.map((r) => r.value_sum),
      rows.map((r) => r.last_seq),
      rows.map((r) => r.expires_at),
    ],
  );
}

/** The `conversion_rollups` projection, fed by ROLLUPS: the sealed history of every day. */
export const conversionRollupsProjection: Projection = { name: 'conversion_rollups', stream: 'ROLLUPS', table: 'conversion_rollups', apply };
