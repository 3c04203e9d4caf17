import type { IosReceiptValidation } from '@mayfly/contracts';
import type { Queryable } from '../../../platform/db/database.ts';

const DAY_MS = 86_400_000;

/**
 * Counts one verification in `receipt_counts`, the only trace validate-receipt leaves: per app,
 * UTC day, product, environment and verdict, kept `retentionDays` after the day ends. A table
 * rather than a Prometheus counter: the totals must add up across API instances and restarts,
 * be per app (and erased with it), and product ids are unbounded label values. Product and
 * environment are recorded only when Apple's signature vouched for them.
 */
export async function countReceipt(q: Queryable, tenant: string, result: IosReceiptValidation, now: Date, retentionDays: number): Promise<void> {
  const day = now.toISOString().slice(0, 10);
  const expiresAt = new Date(Date.parse(`${day}T00:00:00Z`) + DAY_MS + retentionDays * DAY_MS).toISOString();
  await q.query(
    `INSERT INTO receipt_counts (tenant, day, product_id, environment, valid, count, updated_at, expires_at) VALUES ($1, $2, $3, $4, $5, 1, $6, $7)
     ON CONFLICT (tenant, day, product_id, environment, valid) DO UPDATE SET count = receipt_counts.count + 1, updated_at = excluded.updated_at`,
    [tenant, day, result.product_id ?? '', result.environment ?? '', result.valid, now.toISOString(), expiresAt],
  );
}
