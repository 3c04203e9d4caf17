import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { botTaskFilter } from '@mayfly/contracts';
import type { Database } from '../../../platform/db/database.ts';
import { newEvent } from '../../../platform/events/publisher.ts';
import { DATABASES } from '../../../../test/support/databases.ts';
import { projectionSpec, specDatabase } from '../../../../test/support/projection-spec.ts';
import { botOutputsProjection } from './index.ts';

const now = new Date('2026-04-01T12:00:00Z');
const created = '2026-04-01T11:59:00.000Z';
const later = '2026-04-01T13:00:00.000Z';
const T = '4fa18e50-6d71-4c93-8edf-4a5b6c7d8e9f';
const common = { task_id: T, task_type: 'echo', created_at: created, expires_at: later };
const requested = (tenant: string, expires_at = later) =>
  newEvent('bot.task.requested', tenant, { task_id: T, task_type: 'echo', context: { secret: 'never projected' }, expires_at }, new Date(created), T);
const completed = (tenant: string) => newEvent('bot.output.created', tenant, { ...common, output: { n: 1 } }, now);
const failed = (tenant: string) => newEvent('bot.task.failed', tenant, { ...common, error: { code: 'TIMEOUT', message: 'slow' } }, now);
const row = (tenant: string, status: string, output: unknown, error: unknown, last_seq: number) => ({
  tenant,
  id: T,
  task_type: 'echo',
  status,
  output,
  error,
  created_at: created,
  expires_at: later,
  last_seq,
});

describe.each(DATABASES)('the bot_outputs projection ($name)', ({ name, skip }) => {
  let db: Database & AsyncDisposable;
  beforeAll(async () => {
    if (!skip) db = await specDatabase(name);
  });
  afterAll(async () => {
    await db?.[Symbol.asyncDispose]();
  });
  const spec = projectionSpec(() => db, botOutputsProjection);

  it.skipIf(skip)('shows a requested task as pending, never with its context', async () => {
    const { rows } = await spec.given({ seq: 1, event: requested('a') }).when({ now });
    expect(rows).toEqual([row('a', 'pending', null, null, 1)]);
  });

  it.skipIf(skip)('replaces pending by the outcome, in one batch or two', async () => {
    for (const batchSize of [1, 2]) {
      const done = await spec.given({ seq: 1, event: requested('a') }, { seq: 2, event: completed('a') }).when({ now, batchSize });
      expect(done.rows).toEqual([row('a', 'completed', { n: 1 }, null, 2)]);
      const bad = await spec.given({ seq: 1, event: requested('b') }, { seq: 3, event: failed('b') }).when({ now, batchSize });
      expect(bad.rows).toEqual([row('b', 'failed', null, { code: 'TIMEOUT', message: 'slow' }, 3)]);
    }
  });

  it.skipIf(skip)('writes no task already past its TTL and purges its messages up to the last one applied', async () => {
    const { rows, purges } = await spec.given({ seq: 7, event: requested('a', '2026-04-01T11:59:30.000Z') }).when({ now });
    expect(rows).toEqual([]);
    expect(purges).toEqual([{ stream: 'BOTS', subject: botTaskFilter('a', T), up_to_seq: 8 }]);
  });

  it.skipIf(skip)('forgets a task whose messages the broker expired', async () => {
    const { rows } = await spec
      .given({ seq: 1, event: requested('a') }, { seq: 2, subject: `bots.a.${T}.requested`, expired: true })
      .when({ now, batchSize: 1 });
    expect(rows).toEqual([]);
  });
});
