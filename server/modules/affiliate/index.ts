import { defineModule } from '../module.ts';
import { forgetAdmittedNames } from './names.ts';
import { conversionCountsProjection } from './projection/conversion-counts.ts';
import { conversionRollupsProjection } from './projection/conversion-rollups.ts';
import { RollupSealer } from './rollup-sealer.ts';
import { affiliateRouter } from './router.ts';

/**
 * Affiliate: stateless, self-verifying referral codes and exact aggregate conversion counts.
 * Raw conversions live in CONVERSIONS (`conversion_counts`); completed days are sealed into
 * ROLLUPS (`conversion_rollups`) by the rollup sealer, so history outlives the raw events, for
 * ROLLUP_RETENTION_DAYS. Each app has counts of at most AFFILIATE_MAX_CODES_PER_APP codes and
 * AFFILIATE_MAX_EVENTS_PER_APP event names at a time (`affiliate_names`).
 */
export const affiliate = defineModule({
  name: 'affiliate',
  router: affiliateRouter,
  projections: [conversionCountsProjection, conversionRollupsProjection],
  expiring: [],
  expiringRecords: ['conversion_rollups', 'affiliate_names'],
  migrations: { module: 'affiliate', dir: new URL('./migrations/', import.meta.url) },
  jobs: (s) => [new RollupSealer(s).job(s.config.RECONCILE_INTERVAL_SECONDS * 1000)],
  /** Its rows go with every `tenant` table; the names this instance remembers admitting go here. */
  async purgeTenant(s, appId) {
    forgetAdmittedNames(s, appId);
  },
});
