import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { randomUUID } from 'node:crypto';
import { nanos } from '@nats-io/nats-core';
import { conversionSubject, tenantConversionsFilter, tenantRollupsFilter, type AffiliateStatsItem } from '@mayfly/contracts';
import { createMayflyClient, type AppRouter } from '@mayfly/contracts/client';
import { TRPCClientError } from '@trpc/client';
import { readCheckpoint } from '../../../consumers/read-side/checkpoints.ts';
import { LEASE_BUCKET, openLeaseBucket } from '../../../consumers/jobs/lease.ts';
import type { Projection } from '../../../consumers/projection/projection.ts';
import { Projector } from '../../../consumers/projector/projector.ts';
import { newEvent } from '../../platform/events/publisher.ts';
import { addDays, utcDay } from './day.ts';
import { conversionCountsProjection } from './projection/conversion-counts.ts';
import { conversionRollupsProjection } from './projection/conversion-rollups.ts';
import { connectBroker, type Broker } from '../../platform/nats/connect.ts';
import type { EmbeddedNats } from '../../platform/nats/embedded-server.ts';
import type { Mayfly } from '../../runtime/start.ts';
import { DATABASES, testDatabaseUrl, type TestDatabase } from '../../../test/support/databases.ts';
import { capturingLogger, jsonRequest, startTestMayfly } from '../../../test/support/mayfly.ts';
import { startTestNats } from '../../../test/support/nats.ts';
import { RollupSealer } from './rollup-sealer.ts';

const LEASE_MS = 1_500;
const SECRET_KEY = 'affiliate-integration-test-secret-0123456789';
const PROJECTIONS = [conversionCountsProjection.name, conversionRollupsProjection.name];

describe.each(DATABASES)('affiliate on $name', ({ name, skip }) => {
  let nats: EmbeddedNats;
  let database: TestDatabase;
  let mayfly: Mayfly;
  const captured = capturingLogger();
  /** Projectors the tests start themselves (crash and replay), stopped at the end. */
  const extra: { projector: Projector; broker: Broker }[] = [];

  const rest = async (path: string, init: RequestInit = {}) => mayfly.app!.request(`/api/v1${path}`, init);
  const client = (appId: string) =>
    createMayflyClient({ url: 'http://mayfly.test', appId, fetch: async (input, init) => mayfly.app!.request(input, init) });
  const tenant = () => `t${randomUUID().slice(0, 8)}`;
  const today = () => utcDay(new Date());
  /** Items in the order stats answers them: by day, code, event. */
  const ordered = (items: AffiliateStatsItem[]) =>
    [...items].sort((x, y) => x.day.localeCompare(y.day) || (x.code < y.code ? -1 : x.code > y.code ? 1 : 0) || x.event.localeCompare(y.event));

  async function generate(app: string, session: string): Promise<string> {
    const res = await rest('/affiliate/generate', jsonRequest('POST', { session_id: session }, { 'X-App-ID': app }));
    expect(res.status).toBe(200);
    return ((await res.json()) as { code: string }).code;
  }
  const verify = async (app: string, code: string) => {
    const res = await rest('/affiliate/verify', jsonRequest('POST', { code }, { 'X-App-ID': app }));
    expect(res.status).toBe(200);
    return ((await res.json()) as { valid: boolean }).valid;
  };
  const convert = (app: string, body: Record<string, unknown>) =>
    rest('/affiliate/conversion', jsonRequest('POST', body, { 'X-App-ID': app }));
  async function stats(app: string, query = ''): Promise<AffiliateStatsItem[]> {
    const res = await rest(`/affiliate/stats${query}`, { headers: { 'X-App-ID': app } });
    expect(res.status).toBe(200);
    return ((await res.json()) as { items: AffiliateStatsItem[] }).items;
  }
  /** A conversion of an earlier day, straight through the publisher (the API stamps today). */
  const publishPast = (app: string, code: string, event: string, value: number, day: string) =>
    mayfly.services.events.publish(
      newEvent('conversion.recorded', app, { code, event, value, day }, new Date()),
      conversionSubject(app, code),
    );
  /** Message counts per ROLLUPS subject of one tenant. */
  const rollupSubjects = async (app: string) =>
    (await mayfly.broker.jsm.streams.info('ROLLUPS', { subjects_filter: tenantRollupsFilter(app) })).state.subjects ?? {};

  async function startProjector(projection: Projection, broker: Broker, holder: string): Promise<Projector> {
    const projector = new Projector(projection, {
      broker,
      db: mayfly.db,
      log: captured.log,
      metrics: mayfly.metrics,
      leases: await openLeaseBucket(broker.nc, LEASE_MS),
      leaseTtlMs: LEASE_MS,
      holder,
      now: () => new Date(),
      batchSize: 25,
    });
    projector.start();
    extra.push({ projector, broker });
    return projector;
  }

  beforeAll(async () => {
    if (skip) return;
    nats = await startTestNats();
    database = await testDatabaseUrl(name);
    mayfly = await startTestMayfly(
      {
        NATS_URL: nats.url,
        DATABASE_URL: database.url,
        SECRET_KEY,
        READ_YOUR_WRITES_TIMEOUT_MS: '15000',
        // The sealer's own schedule: once at start, then the tests call sealOnce() themselves.
        RECONCILE_INTERVAL_SECONDS: '3600',
      },
      { leaseTtlMs: LEASE_MS, log: captured.log },
    );
  });
  /** One sealing run now, as the leader would do it. */
  const sealOnce = () => new RollupSealer(mayfly.services).sealOnce();
  afterAll(async () => {
    for (const e of extra) await e.projector.stop();
    for (const e of extra) await e.broker.close();
    await mayfly?.stop();
    await database?.drop();
    await nats?.stop();
  });

  it.skipIf(skip)('generates the same code for the same tenant and session, another for another tenant or session', async () => {
    const app = tenant();
    const code = await generate(app, 'session-1');
    expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{12}$/);
    expect(await generate(app, 'session-1')).toBe(code);
    expect(await generate(app, 'session-2')).not.toBe(code);
    expect(await generate(`${app}.x`, 'session-1')).not.toBe(code);
    expect(await generate(tenant(), 'session-1')).not.toBe(code);
    // The typed client gets the same code.
    expect(await client(app).affiliate.generate.mutate({ session_id: 'session-1' })).toEqual({ code });
  });

  it.skipIf(skip)("verifies its own codes as typed, and rejects other tenants', truncated, altered and random codes", async () => {
    const app = tenant();
    const code = await generate(app, 'session-v');
    expect(await verify(app, code)).toBe(true);
    expect(await verify(app, code.toLowerCase())).toBe(true);
    expect(await verify(app, `${code.slice(0, 4)}-${code.slice(4, 8)}-${code.slice(8)}`)).toBe(true);
    expect(await verify(app, code.replaceAll('0', 'O').replaceAll('1', 'L'))).toBe(true);

    expect(await verify(`${app}.x`, code)).toBe(false);
    expect(await verify(tenant(), code)).toBe(false);
    expect(await verify(app, code.slice(0, 11))).toBe(false);
    expect(await verify(app, code.slice(0, 6))).toBe(false);
    for (const i of [0, 5, 6, 11]) {
      const other = code[i] === 'Z' ? 'Y' : 'Z';
      expect(await verify(app, code.slice(0, i) + other + code.slice(i + 1))).toBe(false);
    }
    for (const junk of ['AAAAAAAAAAAA', 'hello', '*', '>', randomUUID()]) expect(await verify(app, junk)).toBe(false);
    expect(await client(app).affiliate.verify.mutate({ code })).toEqual({ valid: true });
  });

  it.skipIf(skip)('answers a forged or foreign code with 422 and the error envelope, and counts it nowhere', async () => {
    const app = tenant();
    const foreign = await generate(tenant(), 'someone');
    const own = await generate(app, 'me');
    const forged = own.slice(0, 6) + (own[6] === 'Z' ? 'Y' : 'Z') + own.slice(7);
    for (const code of [forged, foreign, 'NOT-A-CODE']) {
      const res = await convert(app, { code });
      expect(res.status).toBe(422);
      expect(res.headers.get('content-type')).toContain('application/json');
      expect(await res.json()).toEqual({
        error: { code: 'UNPROCESSABLE_CONTENT', message: expect.any(String) as unknown },
        request_id: expect.any(String) as unknown,
      });
    }
    const err = await client(app).affiliate.conversion.mutate({ code: forged }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TRPCClientError);
    expect((err as TRPCClientError<AppRouter>).data).toMatchObject({ httpStatus: 422, error_code: 'UNPROCESSABLE_CONTENT' });
    // Nothing reached the broker for this tenant, nothing is counted.
    expect(await mayfly.services.consistency.lastSequence('CONVERSIONS', tenantConversionsFilter(app))).toBe(0);
    expect(await stats(app)).toEqual([]);
  });

  it.skipIf(skip)('refuses a bad event name or value with 400, and defaults to event "conversion" and value 0', async () => {
    const app = tenant();
    const code = await generate(app, 'v');
    for (const body of [
      { code, event: 'has space' },
      { code, event: 'x'.repeat(65) },
      { code, event: '' },
      { code, value: 'ten' },
      { code, value: 1e16 },
    ]) {
      const res = await convert(app, body);
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: { code: 'VALIDATION_FAILED' } });
    }
    const ok = await convert(app, { code: code.toLowerCase() });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ accepted: true });
    expect(await stats(app)).toEqual([{ code, event: 'conversion', day: today(), count: 1, value_sum: 0 }]);
  });

  it.skipIf(skip)('counts 1,000 concurrent conversions exactly, with exact value sums, read at once', async () => {
    const app = tenant();
    const code = await generate(app, 'popular');
    const results = await Promise.all(
      Array.from({ length: 1000 }, () => convert(app, { code, event: 'signup', value: 0.1 })),
    );
    expect(results.filter((r) => r.status === 200)).toHaveLength(1000);
    // 1000 x 0.1 in doubles is 99.9999999999986; the sums are exact decimals.
    expect(await stats(app)).toEqual([{ code, event: 'signup', day: today(), count: 1000, value_sum: 100 }]);
  });

  it.skipIf(skip)('still counts exactly 1,000 when the projector dies after a commit, before its acks, and another takes over', { timeout: 90_000 }, async () => {
    const app = tenant();
    const code = await generate(app, 'crash');
    // Take conversion_counts from Mayfly's projector: ours dies in its third batch, after the
    // batch and its checkpoint committed and before a single ack left the process.
    await mayfly.projectors.find((p) => p.projection.name === conversionCountsProjection.name)!.stop();
    const crashing = await connectBroker(nats.url, captured.log);
    let batches = 0;
    const dying: Projection = {
      ...conversionCountsProjection,
      async apply(tx, events, now) {
        await conversionCountsProjection.apply(tx, events, now);
        if (++batches === 3) void crashing.nc.close();
      },
    };
    await startProjector(dying, crashing, 'holder-dying');
    const sent = Promise.all(Array.from({ length: 1000 }, (_, i) => convert(app, { code, event: 'purchase', value: i })));
    await vi.waitFor(() => expect(batches).toBeGreaterThanOrEqual(3), { timeout: 20_000, interval: 20 });
    const survivor = await connectBroker(nats.url, captured.log);
    await startProjector(conversionCountsProjection, survivor, 'holder-survivor');
    expect((await sent).filter((r) => r.status === 200)).toHaveLength(1000);

    expect(await stats(app)).toEqual([{ code, event: 'purchase', day: today(), count: 1000, value_sum: 499_500 }]);
    const { state } = await mayfly.broker.jsm.streams.info('CONVERSIONS');
    expect(await readCheckpoint(mayfly.db, conversionCountsProjection.name, 'CONVERSIONS')).toBe(state.last_seq);
  });

  it.skipIf(skip)('filters stats by code (as typed) and by day range, tenant-scoped', async () => {
    const app = tenant();
    const [a, b] = [await generate(app, 'a'), await generate(app, 'b')];
    const [d2, d1] = [addDays(today(), -2), addDays(today(), -1)];
    await publishPast(app, a, 'signup', 1, d2);
    await publishPast(app, b, 'signup', 2, d1);
    expect((await convert(app, { code: a, event: 'signup', value: 3 })).status).toBe(200);
    expect(await stats(app)).toEqual([
      { code: a, event: 'signup', day: d2, count: 1, value_sum: 1 },
      { code: b, event: 'signup', day: d1, count: 1, value_sum: 2 },
      { code: a, event: 'signup', day: today(), count: 1, value_sum: 3 },
    ]);
    expect((await stats(app, `?code=${a.toLowerCase()}`)).map((i) => i.day)).toEqual([d2, today()]);
    expect((await stats(app, `?from=${d1}`)).map((i) => i.day)).toEqual([d1, today()]);
    expect((await stats(app, `?from=${d1}&to=${d1}`)).map((i) => i.code)).toEqual([b]);
    expect(await stats(app, '?code=AAAAAAAAAAAA')).toEqual([]);
    expect(await stats(`${app}.x`)).toEqual([]);
    expect(await stats(`${app}.x`, `?code=${a}`)).toEqual([]);
    expect((await rest(`/affiliate/stats?from=${today()}&to=${d1}`, { headers: { 'X-App-ID': app } })).status).toBe(400);
    expect((await rest('/affiliate/stats?from=yesterday', { headers: { 'X-App-ID': app } })).status).toBe(400);
    expect((await client(app).affiliate.stats.query({ code: b })).items).toEqual([{ code: b, event: 'signup', day: d1, count: 1, value_sum: 2 }]);
  });

  it.skipIf(skip)('seals complete days into ROLLUPS once, seals a late event as a correction, and never double counts', async () => {
    const app = tenant();
    const [a, b] = [await generate(app, 'seal-a'), await generate(app, 'seal-b')];
    const [d3, d2] = [addDays(today(), -3), addDays(today(), -2)];
    await publishPast(app, a, 'signup', 1.5, d3);
    await publishPast(app, a, 'signup', 0.25, d3);
    await publishPast(app, b, 'in.app.purchase', 4.99, d3);
    await publishPast(app, a, 'signup', 2, d2);
    expect((await convert(app, { code: a, event: 'signup', value: 1 })).status).toBe(200);
    const raw = await stats(app);

    await sealOnce();
    const subjects = await rollupSubjects(app);
    // One seal per (code, event, day) of the complete days; today stays open.
    expect(Object.values(subjects)).toEqual([1, 1, 1]);
    expect(Object.keys(subjects).some((s) => s.includes(today()))).toBe(false);
    expect(await stats(app)).toEqual(raw);

    // Sealing again publishes nothing.
    const again = await sealOnce();
    expect(again.sealed).toBe(0);
    expect(await rollupSubjects(app)).toEqual(subjects);
    expect(await stats(app)).toEqual(raw);

    // A conversion of a sealed day that reaches the stream late: the next run corrects the seal.
    await publishPast(app, a, 'signup', 0.25, d3);
    await stats(app); // both projections have it
    await sealOnce();
    const corrected = await rollupSubjects(app);
    expect(Object.values(corrected).sort()).toEqual([1, 1, 2]);
    expect((await stats(app)).find((i) => i.day === d3 && i.code === a)).toEqual({
      code: a,
      event: 'signup',
      day: d3,
      count: 3,
      value_sum: 2,
    });
    // The sealer runs under its own lease.
    const leases = await openLeaseBucket(mayfly.broker.nc, LEASE_MS);
    expect((await leases.get('rollup-sealer'))?.operation).toBe('PUT');
    expect(LEASE_BUCKET).toBe('mayfly_leases');
  });

  it.skipIf(skip)('keeps personal data out: the session id reaches no stream message, table row or log line', { timeout: 60_000 }, async () => {
    const app = tenant();
    const session = `private-session-${randomUUID()}`;
    const code = await generate(app, session);
    expect(await client(app).affiliate.generate.mutate({ session_id: session })).toEqual({ code });
    expect(await verify(app, code)).toBe(true);
    expect((await convert(app, { code, event: 'signup', value: 5 })).status).toBe(200);
    await publishPast(app, code, 'signup', 1, addDays(today(), -1));
    await stats(app);
    await sealOnce();
    expect((await stats(app)).map((i) => i.count)).toEqual([1, 1]);

    const jsm = mayfly.broker.jsm;
    let messages = 0;
    for await (const info of jsm.streams.list()) {
      const { first_seq, last_seq, messages: n } = info.state;
      if (n === 0) continue;
      for (let seq = first_seq; seq <= last_seq; seq++) {
        const m = await jsm.streams.getMessage(info.config.name, { seq }).catch(() => null);
        if (!m) continue;
        messages++;
        const headers = m.header ? [...m.header].flat(2).join(' ') : '';
        expect(`${m.subject} ${m.string()} ${headers}`).not.toContain(session);
      }
    }
    expect(messages).toBeGreaterThan(2000);
    // The conversion event carries the code, the event name, the value and the day: nothing else.
    const last = await jsm.streams.getMessage('CONVERSIONS', { last_by_subj: conversionSubject(app, code) });
    expect(Object.keys(last!.json<{ data: object }>().data).sort()).toEqual(['code', 'day', 'event', 'value']);

    const tables = await mayfly.db.query<{ name: string }>(
      "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
    );
    expect(tables.map((t) => t.name)).toEqual(expect.arrayContaining(['conversion_counts', 'conversion_rollups']));
    for (const t of tables) {
      const rows = await mayfly.db.query<{ row: string }>(`SELECT t::text AS row FROM "${t.name}" t`);
      for (const r of rows) expect(r.row).not.toContain(session);
    }
    expect(captured.text()).not.toContain(session);
  });

  it.skipIf(skip)('reports days whose raw events expired, and gives identical totals after a full replay', { timeout: 90_000 }, async () => {
    const jsm = mayfly.broker.jsm;
    const app = tenant();
    const [a, b] = [await generate(app, 'hist-a'), await generate(app, 'hist-b')];
    const [d3, d2, d1] = [addDays(today(), -3), addDays(today(), -2), addDays(today(), -1)];
    await publishPast(app, a, 'signup', 0.1, d3);
    await publishPast(app, a, 'signup', 0.2, d3);
    await publishPast(app, b, 'purchase', 9.99, d3);
    await publishPast(app, a, 'signup', 0.3, d2);
    await stats(app);
    await sealOnce();

    // Shorten CONVERSIONS' retention to one second: the broker drops every raw event.
    const original = (await jsm.streams.info('CONVERSIONS')).config;
    await jsm.streams.update('CONVERSIONS', { ...original, max_age: nanos(1_000), duplicate_window: nanos(500) });
    await vi.waitFor(async () => expect((await jsm.streams.info('CONVERSIONS')).state.messages).toBe(0), {
      timeout: 20_000,
      interval: 100,
    });
    await jsm.streams.update('CONVERSIONS', original);
    expect(await mayfly.services.consistency.lastSequence('CONVERSIONS', tenantConversionsFilter(app))).toBe(0);

    // The next run prunes the raw counts behind the expired events: the sealed totals answer.
    expect((await sealOnce()).pruned).toBeGreaterThanOrEqual(3);
    expect(await mayfly.db.query('SELECT 1 FROM conversion_counts WHERE tenant = $1', [app])).toEqual([]);
    const sealedOnly = [
      { code: a, event: 'signup', day: d3, count: 2, value_sum: 0.3 },
      { code: b, event: 'purchase', day: d3, count: 1, value_sum: 9.99 },
      { code: a, event: 'signup', day: d2, count: 1, value_sum: 0.3 },
    ];
    expect(await stats(app)).toEqual(ordered(sealedOnly));

    // A sealed day whose raw events are still there, and an open day (today).
    await publishPast(app, b, 'purchase', 1.01, d1);
    await publishPast(app, b, 'purchase', 2, d1);
    expect((await convert(app, { code: a, event: 'signup', value: 0.7 })).status).toBe(200);
    await stats(app);
    await sealOnce();
    const before = await stats(app);
    expect(before).toEqual(
      ordered([
        ...sealedOnly,
        { code: b, event: 'purchase', day: d1, count: 2, value_sum: 3.01 },
        { code: a, event: 'signup', day: today(), count: 1, value_sum: 0.7 },
      ]),
    );

    // Full replay: stop both projections, empty their tables, reset their checkpoints, re-run.
    const running = [...mayfly.projectors, ...extra.map((e) => e.projector)];
    await Promise.all(running.filter((p) => PROJECTIONS.includes(p.projection.name)).map((p) => p.stop()));
    await mayfly.db.query('DELETE FROM conversion_counts');
    await mayfly.db.query('DELETE FROM conversion_rollups');
    await mayfly.db.query('UPDATE projection_checkpoints SET last_seq = 0 WHERE projection = ANY($1::text[])', [PROJECTIONS]);
    const replayer = await connectBroker(nats.url, captured.log);
    await startProjector(conversionCountsProjection, replayer, 'holder-replay');
    await startProjector(conversionRollupsProjection, replayer, 'holder-replay');
    // The read path remembers checkpoints it has seen; wait on the database, which was reset.
    for (const p of [conversionCountsProjection, conversionRollupsProjection]) {
      const { state } = await jsm.streams.info(p.stream);
      await vi.waitFor(async () => expect(await readCheckpoint(mayfly.db, p.name, p.stream)).toBe(state.last_seq), {
        timeout: 20_000,
        interval: 100,
      });
    }
    expect(await stats(app)).toEqual(before);
    // Only the raw events still in the stream came back; the sealed history came from ROLLUPS.
    const rawDays = await mayfly.db.query<{ day: string }>(
      "SELECT to_char(day, 'YYYY-MM-DD') AS day FROM conversion_counts WHERE tenant = $1 ORDER BY day",
      [app],
    );
    expect(rawDays.map((r) => r.day)).toEqual([d1, today()]);
    // Sealing after the replay finds nothing new, and the totals stay.
    expect((await sealOnce()).sealed).toBe(0);
    expect(await stats(app)).toEqual(before);
  });

  it.skipIf(skip)('describes the four procedures in the OpenAPI document', async () => {
    const doc = (await (await mayfly.app!.request('/openapi.json')).json()) as {
      paths: Record<string, Record<string, { parameters?: { name: string; in: string }[] }>>;
    };
    for (const p of ['generate', 'verify', 'conversion']) expect(doc.paths[`/affiliate/${p}`]?.post).toBeDefined();
    const params = doc.paths['/affiliate/stats']?.get?.parameters?.filter((x) => x.in === 'query').map((x) => x.name);
    expect(params?.sort()).toEqual(['code', 'from', 'to']);
  });
});
