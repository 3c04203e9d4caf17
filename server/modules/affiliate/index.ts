import type { Module } from '../module.ts';
import { conversionCountsProjection } from './projection/conversion-counts.ts';
import { conversionRollupsProjection } from './projection/conversion-rollups.ts';
import { affiliateRouter } from './router.ts';

/**
 * Affiliate: stateless, self-verifying referral codes and exact aggregate conversion counts.
 * Raw conversions live in CONVERSIONS (`conversion_counts`); completed days are sealed into
 * ROLLUPS (`conversion_rollups`) by the rollup sealer, so history outlives the raw events.
 * Nothing expires row by row: the counts are aggregates without user data.
 */
export const affiliate = {
  name: 'affiliate',
  router: affiliateRouter,
  projections: [conversionCountsProjection, conversionRollupsProjection],
  expiring: [],
  migrations: { module: 'affiliate', dir: new URL('./migrations/', import.meta.url) },
} satisfies Module;
