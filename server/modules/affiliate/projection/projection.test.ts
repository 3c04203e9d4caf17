import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../../platform/db/database.ts';
import { newEvent } from '../../../platform/events/publisher.ts';
import { DATABASES } from '../../../../test/support/databases.ts';
import { projectionSpec, specDatabase } from '../../../../test/support/projection-spec.ts';
import { conversionCountsProjection } from './conversion-counts.ts';
import { conversionRollupsProjection } from './conversion-rollups.ts';

const now = new Date('2026-01-31T12:00:00Z');
const CODE = 'AAAAAAAAAAAA';
const conversion = (tenant: string, event: string, value: number, day = '2026-01-31') =>
  newEvent('conversion.recorded', tenant, { code: CODE, event, value, day }, now);
const sealed = (tenant: string, day: string, count: number, value_sum: string) =>
  newEvent('rollup.daily', tenant, { code: CODE, event: 'signup', day, count, value_sum }, now);
const rowsSql = (table: string) =>
  `SELECT tenant, code, event, to_char(day, 'YYYY-MM-DD') AS day, count, value_sum::text AS value_sum, last_seq FROM ${table}`;

describe.each(DATABASES)('the affiliate projections ($name)', ({ name, skip }) => {
  let db: Database & AsyncDisposable;
  beforeAll(async () => {
    if (!skip) db = await specDatabase(name);
  });
  afterAll(async () => {
    await db?.[Symbol.asyncDispose]();
  });
  const counts = projectionSpec(() => db, conversionCountsProjection);
  const rollups = projectionSpec(() => db, conversionRollupsProjection);

  it.skipIf(skip)('conversion_counts adds up exact decimal sums per app, code, event and day, whatever the batches', async () => {
    for (const batchSize of [1, 3, 10]) {
      const { rows } = await counts
        .given(
          { seq: 1, event: conversion('a', 'signup', 0.1) },
          { seq: 2, event: conversion('a', 'signup', 0.2) },
          { seq: 3, event: conversion('b', 'signup', 1) },
          { seq: 4, event: conversion('a', 'purchase', 4.99) },
          { seq: 5, event: conversion('a', 'signup', 0.3, '2026-01-30') },
          { seq: 6, event: conversion('a', 'signup', 0.3) },
        )
        .when({ now, batchSize, rowsSql: rowsSql('conversion_counts') });
      expect(rows, `batches of ${batchSize}`).toEqual([
        { tenant: 'a', code: CODE, event: 'purchase', day: '2026-01-31', count: 1, value_sum: '4.99', last_seq: 4 },
        { tenant: 'a', code: CODE, event: 'signup', day: '2026-01-30', count: 1, value_sum: '0.3', last_seq: 5 },
        { tenant: 'a', code: CODE, event: 'signup', day: '2026-01-31', count: 3, value_sum: '0.6', last_seq: 6 },
        { tenant: 'b', code: CODE, event: 'signup', day: '2026-01-31', count: 1, value_sum: '1', last_seq: 3 },
      ]);
    }
  });

  it.skipIf(skip)('conversion_rollups keeps the newest seal of each day, a repeated seal changing nothing', async () => {
    const { rows } = await rollups
      .given(
        { seq: 1, event: sealed('a', '2026-01-29', 9, '9') },
        { seq: 2, event: sealed('a', '2026-01-29', 10, '10.5') },
        { seq: 3, event: sealed('a', '2026-01-28', 1, '1') },
        { seq: 2, event: sealed('a', '2026-01-29', 10, '10.5') },
      )
      .when({ now, batchSize: 2, rowsSql: rowsSql('conversion_rollups') });
    expect(rows).toEqual([
      { tenant: 'a', code: CODE, event: 'signup', day: '2026-01-28', count: 1, value_sum: '1', last_seq: 3 },
      { tenant: 'a', code: CODE, event: 'signup', day: '2026-01-29', count: 10, value_sum: '10.5', last_seq: 2 },
    ]);
  });
});
