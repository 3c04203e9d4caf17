import {
  AffiliateConversionAccepted,
  AffiliateConversionInput,
  AffiliateGenerated,
  AffiliateGenerateInput,
  AffiliateStats,
  AffiliateStatsInput,
  AffiliateVerified,
  AffiliateVerifyInput,
  conversionSubject,
  tenantConversionsFilter,
  tenantRollupsFilter,
} from '@mayfly/contracts';
import { badRequest, invalidInput, MayflyError } from '../../platform/errors.ts';
import { newEvent } from '../../platform/events/publisher.ts';
import { router, tenantProcedure } from '../../trpc/trpc.ts';
import { generateCode, verifyCode } from './code.ts';
import { utcDay } from './day.ts';
import { admitNames } from './names.ts';
import { conversionCountsProjection } from './projection/conversion-counts.ts';
import { conversionRollupsProjection } from './projection/conversion-rollups.ts';
import { conversionStats, MAX_STATS_ITEMS } from './projection/queries.ts';

const tags = ['affiliate'];

export const affiliateRouter = router({
  generate: tenantProcedure
    .meta({
      openapi: { method: 'POST', path: '/affiliate/generate', tags, summary: 'Referral code of a session (nothing stored)', protect: false },
    })
    .input(AffiliateGenerateInput)
    .output(AffiliateGenerated)
    .mutation(({ ctx, input }) => ({ code: generateCode(ctx.services.secretKey, ctx.tenant, input.session_id) })),

  verify: tenantProcedure
    .meta({
      openapi: { method: 'POST', path: '/affiliate/verify', tags, summary: 'Whether a referral code is one of this app', protect: false },
    })
    .input(AffiliateVerifyInput)
    .output(AffiliateVerified)
    .mutation(({ ctx, input }) => ({ valid: verifyCode(ctx.services.secretKey, ctx.tenant, input.code) !== null })),

  conversion: tenantProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: '/affiliate/conversion',
        tags,
        summary: 'Count a conversion for a referral code',
        description:
          '422: the code is not one of this app, or the app already has counts of AFFILIATE_MAX_CODES_PER_APP codes or ' +
          'AFFILIATE_MAX_EVENTS_PER_APP event names and this one is new (places free up as old totals expire).',
        protect: false,
      },
    })
    .input(AffiliateConversionInput)
    .output(AffiliateConversionAccepted)
    .mutation(async ({ ctx, input }) => {
      const s = ctx.services;
      const code = verifyCode(s.secretKey, ctx.tenant, input.code);
      // Checked before anything is published: a forged code is counted nowhere.
      if (code === null) throw new MayflyError('UNPROCESSABLE_CONTENT', 'the referral code is not valid for this app');
      await admitNames(s, ctx.tenant, code, input.event);
      const now = s.now();
      const data = { code, event: input.event, value: input.value, day: utcDay(now) };
      await s.events.publish(newEvent('conversion.recorded', ctx.tenant, data, now), conversionSubject(ctx.tenant, code));
      return { accepted: true as const };
    }),

  stats: tenantProcedure
    .meta({
      openapi: { method: 'GET', path: '/affiliate/stats', tags, summary: 'Conversion counts by code, event and UTC day', protect: false },
    })
    .input(AffiliateStatsInput)
    .output(AffiliateStats)
    .query(async ({ ctx, input }) => {
      const s = ctx.services;
      let code: string | undefined;
      if (input.code !== undefined) {
        const verified = verifyCode(s.secretKey, ctx.tenant, input.code);
        if (verified === null) return { items: [] }; // not a code of this app: nothing was ever counted for it
        code = verified;
      }
      if (input.from !== undefined && input.to !== undefined && input.from > input.to) {
        throw invalidInput('from must not be after to', [{ path: 'from', message: 'must not be after to', code: 'invalid_range' }]);
      }
      // Read-your-writes over both sources: raw counts and sealed totals.
      await Promise.all([
        s.consistency.settle(
          conversionCountsProjection.name,
          'CONVERSIONS',
          code === undefined ? tenantConversionsFilter(ctx.tenant) : conversionSubject(ctx.tenant, code),
        ),
        s.consistency.settle(conversionRollupsProjection.name, 'ROLLUPS', tenantRollupsFilter(ctx.tenant, code)),
      ]);
      const items = await conversionStats(s.db, ctx.tenant, { code, from: input.from, to: input.to }, MAX_STATS_ITEMS + 1);
      if (items.length > MAX_STATS_ITEMS) {
        throw badRequest(`more than ${MAX_STATS_ITEMS} rows; narrow from/to or ask for one code`);
      }
      return { items };
    }),
});
