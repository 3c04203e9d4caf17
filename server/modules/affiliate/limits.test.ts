// Aggregates do not grow without bound: each app has counts of a capped number of codes and
// event names, and a sealed total is kept ROLLUP_RETENTION_DAYS, in Postgres and in ROLLUPS.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { randomUUID } from 'node:crypto';
import { conversionSubject, tenantRollupsFilter } from '@mayfly/contracts';
import { newEvent } from '../../platform/events/publisher.ts';
import type { EmbeddedNats } from '../../platform/nats/embedded-server.ts';
import type { Mayfly } from '../../runtime/start.ts';
import { DATABASES, testDatabaseUrl, type TestDatabase } from '../../../test/support/databases.ts';
import { jsonRequest, startTestMayfly } from '../../../test/support/mayfly.ts';
import { startTestNats } from '../../../test/support/nats.ts';
import { addDays, utcDay } from './day.ts';
import { RollupSealer } from './rollup-sealer.ts';
import { messagesOn } from '../../../test/support/inspect.ts';

const DAY_MS = 86_400_000;
/** Ten seconds, as days: ROLLUPS keeps a seal that long, and so does conversion_rollups. */
const RETENTION_DAYS = 10 / 86_400;

describe.each(DATABASES)('affiliate limits and retention on $name', ({ name, skip }) => {
  let nats: EmbeddedNats;
  let database: TestDatabase;
  let mayfly: Mayfly;
  /** The service's clock runs ahead of the real one by this much (the broker's does not). */
  let ahead = 0;
  const rest = (path: string, app: string, body?: unknown) =>
    mayfly.app!.request(`/api/v1${path}`, body === undefined ? { headers: { 'X-App-ID': app } } : jsonRequest('POST', body, { 'X-App-ID': app }));
  const tenant = () => `lim${randomUUID().slice(0, 8)}`;
  const generate = async (app: string, session: string) => ((await (await rest('/affiliate/generate', app, { session_id: session })).json()) as { code: string }).code;
  const convert = async (app: string, code: string, event: string) => {
    const res = await rest('/affiliate/conversion', app, { code, event, value: 1 });
    return { status: res.status, body: (await res.json()) as { error?: { code: string; message: string } } };
  };
  const conversions = async (app: string) => (await mayfly.broker.jsm.streams.info('CONVERSIONS', { subjects_filter: `affiliate.${app}.>` })).state.messages;
  const rowsOf = async (table: string, app: string) => (await mayfly.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table} WHERE tenant = $1`, [app]))[0]!.n;

  beforeAll(async () => {
    if (skip) return;
    nats = await startTestNats();
    database = await testDatabaseUrl(name);
    mayfly = await startTestMayfly(
      {
        NATS_URL: nats.url,
        DATABASE_URL: database.url,
        RECONCILE_INTERVAL_SECONDS: '3600',
        AFFILIATE_MAX_CODES_PER_APP: '3',
        AFFILIATE_MAX_EVENTS_PER_APP: '2',
        ROLLUP_RETENTION_DAYS: String(RETENTION_DAYS),
      },
      { now: () => new Date(Date.now() + ahead) },
    );
  });
  afterAll(async () => {
    await mayfly?.stop();
    await database?.drop();
    await nats?.stop();
  });

  it.skipIf(skip)('counts at most AFFILIATE_MAX_CODES_PER_APP codes and AFFILIATE_MAX_EVENTS_PER_APP event names per app: 422 beyond, nothing published', async () => {
    const [app, other] = [tenant(), tenant()];
    const codes = await Promise.all(['s1', 's2', 's3', 's4'].map((s) => generate(app, s)));
    for (const code of codes.slice(0, 3)) expect((await convert(app, code, 'signup')).status).toBe(200);
    const before = await conversions(app);
    const fourth = await convert(app, codes[3]!, 'signup');
    expect(fourth).toMatchObject({ status: 422, body: { error: { code: 'UNPROCESSABLE_CONTENT', message: expect.stringContaining('3 referral codes (AFFILIATE_MAX_CODES_PER_APP)') as unknown } } });
    expect(await conversions(app)).toBe(before);
    // Codes already counted still count; so do the app's second event name, not a third.
    expect((await convert(app, codes[0]!, 'signup')).status).toBe(200);
    expect((await convert(app, codes[1]!, 'purchase')).status).toBe(200);
    const third = await convert(app, codes[1]!, 'refund');
    expect(third).toMatchObject({ status: 422, body: { error: { message: expect.stringContaining('2 event names (AFFILIATE_MAX_EVENTS_PER_APP)') as unknown } } });
    // Another app has places of its own.
    expect((await convert(other, await generate(other, 's1'), 'refund')).status).toBe(200);
    expect(await rowsOf('affiliate_names', app)).toBe(5);
  });

  it.skipIf(skip)('keeps a sealed total ROLLUP_RETENTION_DAYS: then its row, its message and the names it held are gone', { timeout: 60_000 }, async () => {
    const app = tenant();
    const code = await generate(app, 'kept');
    expect((await convert(app, code, 'signup')).status).toBe(200);
    const day = addDays(utcDay(new Date()), -2);
    await mayfly.services.events.publish(newEvent('conversion.recorded', app, { code, event: 'signup', value: 2, day }, new Date()), conversionSubject(app, code));
    await vi.waitFor(async () => expect(await rowsOf('conversion_counts', app)).toBe(2));
    expect((await new RollupSealer(mayfly.services).sealOnce()).sealed).toBeGreaterThanOrEqual(1);
    await vi.waitFor(async () => expect(await rowsOf('conversion_rollups', app)).toBe(1));
    const rollups = await mayfly.broker.jsm.streams.info('ROLLUPS', { subjects_filter: tenantRollupsFilter(app) });
    expect(rollups.state.messages).toBe(1);
    expect((await mayfly.broker.jsm.streams.info('ROLLUPS')).config.max_age).toBe(10 * 1e9);

    // Past the retention: the broker drops the seal by its max-age, the reconciler the rows.
    // (A 2.11+ server leaves a delete marker in the seal's place: not counted, it holds no data.)
    await vi.waitFor(async () => expect(await messagesOn(mayfly.broker, 'ROLLUPS', tenantRollupsFilter(app))).toBe(0), {
      timeout: 20_000,
      interval: 500,
    });
    ahead = 2 * DAY_MS; // and past the day and retention a name is held for
    try {
      await mayfly.reconciler!.runOnce();
      expect(await rowsOf('conversion_rollups', app)).toBe(0);
      expect(await rowsOf('affiliate_names', app)).toBe(0);
    } finally {
      ahead = 0;
    }
  });
});
