import { describe, expect, it } from 'vitest';
import type { EventDelivery } from '../../../../consumers/projection/projection.ts';
import { newEvent } from '../../../platform/events/publisher.ts';
import { formatDecimal } from '../decimal.ts';
import { foldCounts } from './conversion-counts.ts';

const at = new Date('2026-01-31T12:00:00Z');
const conversion = (seq: number, tenant: string, code: string, event: string, value: number, day = '2026-01-31'): EventDelivery => ({
  seq,
  subject: `affiliate.${tenant}.${code}`,
  event: newEvent('conversion.recorded', tenant, { code, event, value, day }, at),
});

describe('conversion count folding', () => {
  it('folds a batch to one row per (tenant, code, event, day) with exact sums and the newest sequence', () => {
    const rows = foldCounts([
      conversion(1, 'a', 'AAAAAAAAAAAA', 'signup', 0.1),
      conversion(2, 'a', 'AAAAAAAAAAAA', 'signup', 0.2),
      conversion(3, 'b', 'AAAAAAAAAAAA', 'signup', 1),
      conversion(4, 'a', 'AAAAAAAAAAAA', 'purchase', 4.99),
      conversion(5, 'a', 'AAAAAAAAAAAA', 'signup', 0.3, '2026-01-30'),
      conversion(6, 'a', 'AAAAAAAAAAAA', 'signup', 0.3),
      {
        seq: 7,
        subject: 'rollups.a.2026-01-29.AAAAAAAAAAAA.signup',
        event: newEvent('rollup.daily', 'a', { code: 'AAAAAAAAAAAA', event: 'signup', day: '2026-01-29', count: 9, value_sum: '9' }, at),
      },
    ]);
    const view = rows.map((r) => [r.delta.tenant, r.delta.event, r.delta.day, r.count, formatDecimal(r.sum), r.lastSeq]);
    expect(view).toEqual([
      ['a', 'signup', '2026-01-31', 3, '0.6', 6],
      ['b', 'signup', '2026-01-31', 1, '1', 3],
      ['a', 'purchase', '2026-01-31', 1, '4.99', 4],
      ['a', 'signup', '2026-01-30', 1, '0.3', 5],
    ]);
  });
});
