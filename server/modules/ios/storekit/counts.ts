import type { IosReceiptValidation } from '@mayfly/contracts';
import type { Queryable } from '../../../platform/db/database.ts';

/**
 * Counts one verification in `receipt_counts`, the only trace validate-receipt leaves. A table
 * rather than a Prometheus counter: the totals must add up across API instances and restarts,
 * be per app (and erased with it), and product ids are unbounded label values. Product and
 * environment are recorded only when Apple's signature vouched for them.
 */
export async function countReceipt(q: Queryable, tenant: string, result: IosReceiptValidation, now: Date): Promise<void> {
  await q.query(
    `INSERT INTO receipt_counts (tenant, product_id, environment, valid, count, updated_at) VALUES ($1, $2, $3, $4, 1, $5)
     ON CONFLICT (tenant, product_id, environment, valid) DO UPDATE SET count = receipt_counts.count + 1, updated_at = excluded.updated_at`,
    [tenant, result.product_id ?? '', result.environment ?? '', result.valid, now.toISOString()],
  );
}
