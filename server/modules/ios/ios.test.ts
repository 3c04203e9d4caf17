import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Buffer } from 'node:buffer';
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeProtectedHeader, jwtVerify } from 'jose';
import { deviceSubject, type DeviceEvent } from '@mayfly/contracts';
import { createMayflyClient } from '@mayfly/contracts/client';
import { newEvent } from '../../platform/events/publisher.ts';
import { createApp } from '../../http/app.ts';
import { ios } from './index.ts';
import { deviceRegistrationsProjection } from './projection/index.ts';
import type { Mayfly } from '../../runtime/start.ts';
import type { EmbeddedNats } from '../../platform/nats/embedded-server.ts';
import { DATABASES, testDatabaseUrl, type TestDatabase } from '../../../test/support/databases.ts';
import { startFakeApns, type FakeApns } from '../../../test/support/fake-apns.ts';
import { b64json, makeRoot, makeStoreChain, serverCertificate, signTransaction, withSegment } from '../../../test/support/ios-pki.ts';
import { capturingLogger, jsonRequest, startTestMayfly } from '../../../test/support/mayfly.ts';
import { startTestNats } from '../../../test/support/nats.ts';
import { messagesOn, rowsHolding } from '../../../test/support/inspect.ts';

const KEY_ID = 'ABC123DEFG';
const TEAM_ID = 'TEAM123456';
const DEFAULT_TOPIC = 'com.example.default';
const BUNDLE_ID = 'com.example.app';
const DAY = 86_400_000;

/** Everything the tests configure: an APNs key, a TLS CA for the fake gateway, Apple roots. */
async function fixtures() {
  const dir = mkdtempSync(join(tmpdir(), 'mayfly-ios-'));
  const apnsKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const keyFile = join(dir, `AuthKey_${KEY_ID}.p8`);
  writeFileSync(keyFile, apnsKey.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  const tlsCa = await makeRoot('Fake APNs CA');
  const tlsServer = await serverCertificate(tlsCa);
  const caFile = join(dir, 'apns-ca.pem');
  writeFileSync(caFile, tlsCa.pem);
  const appleRoot = await makeRoot('Test Apple Root CA - G3');
  const rootFile = join(dir, 'apple-root.der');
  writeFileSync(rootFile, appleRoot.der);
  return {
    dir,
    publicKey: apnsKey.publicKey,
    tlsServer,
    appleRoot,
    chain: await makeStoreChain(appleRoot),
    env: { APNS_KEY_FILE: keyFile, APNS_KEY_ID: KEY_ID, APNS_TEAM_ID: TEAM_ID, APNS_TOPIC: DEFAULT_TOPIC, APNS_CA_FILE: caFile },
    appleEnv: { APPLE_ROOT_CERTS: rootFile, APPLE_BUNDLE_ID: BUNDLE_ID, APPLE_APP_APPLE_ID: '1234567890', APPLE_ENVIRONMENT: 'Production,Sandbox' },
  };
}

const hexToken = () => randomBytes(32).toString('hex');

type Json = Record<string, unknown> & { error?: { code: string; message: string; details?: unknown } };

describe.each(DATABASES)('ios on $name', ({ name, skip }) => {
  let nats: EmbeddedNats;
  let database: TestDatabase;
  let mayfly: Mayfly;
  let apns: FakeApns;
  let fx: Awaited<ReturnType<typeof fixtures>>;
  const logs = capturingLogger();
  const bodies: string[] = [];
  const tokens: string[] = [];

  const call = async (app: string, path: string, body: unknown, m = mayfly.app!) => {
    const res = await m.request(`/api/v1${path}`, jsonRequest('POST', body, { 'X-App-ID': app }));
    const text = await res.text();
    bodies.push(text);
    return { status: res.status, body: JSON.parse(text) as Json };
  };
  const register = async (app: string, extra: Record<string, unknown> = {}) => {
    const token = hexToken();
    tokens.push(token);
    const res = await call(app, '/ios/register-token', { token, environment: 'sandbox', ...extra });
    expect(res.status).toBe(201);
    return { token, id: res.body.registration_id as string, expiresAt: res.body.expires_at as string };
  };
  const notify = (app: string, body: Record<string, unknown>) => call(app, '/ios/notify', body);
  const validate = (app: string, jws: string) => call(app, '/ios/validate-receipt', { signed_transaction: jws });
  const tenant = () => `com.ios-${randomUUID().slice(0, 6)}.app`;
  const pushesTo = (token: string) => apns.received.filter((p) => p.path === `/3/device/${token}`);

  beforeAll(async () => {
    if (skip) return;
    fx = await fixtures();
    apns = await startFakeApns({ key: fx.tlsServer.keyPem, cert: fx.tlsServer.pem });
    nats = await startTestNats();
    database = await testDatabaseUrl(name);
    mayfly = await startTestMayfly(
      { NATS_URL: nats.url, DATABASE_URL: database.url, RECONCILE_INTERVAL_SECONDS: '3600', APNS_HOST: apns.url, ...fx.env, ...fx.appleEnv },
      { log: logs.log },
    );
  });
  afterAll(async () => {
    await mayfly?.stop();
    await apns?.stop();
    await database?.drop();
    await nats?.stop();
    if (fx) rmSync(fx.dir, { recursive: true, force: true });
  });

  it.skipIf(skip)('registers a token: 201 with an opaque id and expiry, refuses tokens that are not 64-200 hex', async () => {
    const app = tenant();
    const before = Date.now();
    const { token, id, expiresAt } = await register(app, { bundle_id: BUNDLE_ID });
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(id).not.toContain(token.slice(0, 8));
    expect(Date.parse(expiresAt) - before).toBeGreaterThan(3_590_000);
    expect(await messagesOn(mayfly.broker, 'DEVICES', deviceSubject(app, id))).toBe(1);
    for (const bad of ['abc', 'z'.repeat(64), 'a'.repeat(63), 'a'.repeat(201)]) {
      const res = await call(app, '/ios/register-token', { token: bad, environment: 'sandbox' });
      expect(res.status).toBe(400);
      expect(res.body.error?.code).toBe('VALIDATION_FAILED');
    }
    expect((await call(app, '/ios/register-token', { token, environment: 'staging' })).status).toBe(400);
  });

  it.skipIf(skip)('pushes over HTTP/2 to /3/device/<token> with an ES256 provider token, the topic and the payload', async () => {
    const app = tenant();
    const { token, id, expiresAt } = await register(app, { bundle_id: BUNDLE_ID });
    const res = await notify(app, { registration_id: id, alert: { title: 'Hi', body: 'Your report is ready' }, badge: 3, sound: 'default', data: { report: 42 } });
    expect(res).toMatchObject({ status: 200, body: { sent: true, apns_id: expect.stringMatching(/^[0-9A-F-]{36}$/) as unknown } });
    const [push] = pushesTo(token);
    expect(push).toBeDefined();
    expect(push!.method).toBe('POST');
    expect(push!.headers).toMatchObject({
      'apns-topic': BUNDLE_ID,
      'apns-push-type': 'alert',
      'apns-priority': '10',
      'apns-expiration': String(Math.floor(Date.parse(expiresAt) / 1000)),
    });
    expect(push!.body).toEqual({ report: 42, aps: { alert: { title: 'Hi', body: 'Your report is ready' }, badge: 3, sound: 'default' } });
    const auth = String(push!.headers.authorization);
    expect(auth).toMatch(/^bearer /);
    const jwt = auth.slice('bearer '.length);
    expect(decodeProtectedHeader(jwt)).toEqual({ alg: 'ES256', kid: KEY_ID });
    const { payload } = await jwtVerify(jwt, fx.publicKey, { issuer: TEAM_ID, algorithms: ['ES256'] });
    expect(Math.abs(payload.iat! - Date.now() / 1000)).toBeLessThan(60);
  });

  it.skipIf(skip)('sends data alone as a background push, reusing the provider token and the one HTTP/2 session', async () => {
    const app = tenant();
    const a = await register(app);
    const b = await register(app);
    expect((await notify(app, { registration_id: a.id, alert: 'first' })).body.sent).toBe(true);
    expect((await notify(app, { registration_id: b.id, data: { sync: true } })).body.sent).toBe(true);
    const [first] = pushesTo(a.token);
    const [second] = pushesTo(b.token);
    expect(second!.headers).toMatchObject({ 'apns-topic': DEFAULT_TOPIC, 'apns-push-type': 'background', 'apns-priority': '5' });
    expect(second!.body).toEqual({ sync: true, aps: { 'content-available': 1 } });
    expect(second!.headers.authorization).toBe(first!.headers.authorization);
    expect(apns.sessions()).toEqual({ open: 1, opened: 1 });
  });

  it.skipIf(skip)('discards a registration APNs calls Unregistered: 410 GONE now and on the next notify, token gone everywhere', async () => {
    const app = tenant();
    const { token, id } = await register(app);
    apns.answer(token, { status: 410, reason: 'Unregistered' });
    const first = await notify(app, { registration_id: id, alert: 'hello?' });
    expect(first.status).toBe(410);
    expect(first.body.error?.code).toBe('GONE');
    const again = await notify(app, { registration_id: id, alert: 'still there?' });
    expect(again.status).toBe(410);
    expect(pushesTo(token)).toHaveLength(1); // the second call never reached APNs
    // tRPC has no 410: its clients get NOT_FOUND carrying error_code GONE.
    const client = createMayflyClient({ url: 'http://x', appId: app, fetch: async (i, init) => mayfly.app!.request(i, init) });
    await expect(client.ios.notify.mutate({ registration_id: id, alert: 'x' })).rejects.toMatchObject({ data: { error_code: 'GONE', httpStatus: 404 } });
    expect(await rowsHolding(mayfly.db, token)).toBe(0);
    // The purge queued with the discard removes the token from the broker on the next run.
    await mayfly.reconciler!.runOnce();
    expect(await messagesOn(mayfly.broker, 'DEVICES', deviceSubject(app, id))).toBe(0);
    expect([404, 410]).toContain((await notify(app, { registration_id: id, alert: 'x' })).status);
  });

  it.skipIf(skip)('discards on 400 BadDeviceToken too, but not on other refusals', async () => {
    const app = tenant();
    const bad = await register(app);
    apns.answer(bad.token, { status: 400, reason: 'BadDeviceToken' });
    expect((await notify(app, { registration_id: bad.id, alert: 'x' })).status).toBe(410);
    const wrongTopic = await register(app);
    apns.answer(wrongTopic.token, { status: 400, reason: 'DeviceTokenNotForTopic' });
    const res = await notify(app, { registration_id: wrongTopic.id, alert: 'x' });
    expect(res).toMatchObject({ status: 200, body: { sent: false, reason: 'DeviceTokenNotForTopic' } });
    expect((await notify(app, { registration_id: wrongTopic.id, alert: 'x' })).status).toBe(200);
  });

  it.skipIf(skip)('signs a fresh provider token once when APNs calls it expired, and answers 503 when APNs is down', async () => {
    const app = tenant();
    const { token, id } = await register(app);
    apns.answer(token, { status: 403, reason: 'ExpiredProviderToken' }, { status: 200 });
    expect((await notify(app, { registration_id: id, alert: 'x' })).body.sent).toBe(true);
    const [stale, fresh] = pushesTo(token);
    expect(fresh!.headers.authorization).not.toBe(stale!.headers.authorization);
    const down = await register(app);
    apns.answer(down.token, { status: 503, reason: 'ServiceUnavailable' });
    const res = await notify(app, { registration_id: down.id, alert: 'x' });
    expect(res.status).toBe(503);
    const services = { ...mayfly.services, config: { ...mayfly.config, APNS_HOST: 'https://127.0.0.1:9' } };
    const unreachable = createApp({ services, log: logs.log, metrics: mayfly.metrics });
    const refused = await call(app, '/ios/notify', { registration_id: down.id, alert: 'x' }, unreachable);
    expect(refused).toMatchObject({ status: 503, body: { error: { code: 'SERVICE_UNAVAILABLE', message: 'APNs is not reachable; try again' } } });
    await ios.close(services);
  });

  it.skipIf(skip)('keeps tenants apart: another app’s registration id is 404 and reaches no device', async () => {
    const [a, b] = [tenant(), tenant()];
    const { token, id } = await register(a);
    const res = await notify(b, { registration_id: id, alert: 'not yours' });
    expect(res.status).toBe(404);
    expect((await notify(b, { registration_id: randomUUID(), alert: 'x' })).status).toBe(404);
    expect(pushesTo(token)).toHaveLength(0);
  });

  it.skipIf(skip)('refuses a payload over 4096 bytes and an `aps` key in data with 400', async () => {
    const app = tenant();
    const { id } = await register(app);
    expect((await notify(app, { registration_id: id, data: { blob: 'x'.repeat(4_100) } })).status).toBe(400);
    expect((await notify(app, { registration_id: id, data: { aps: {} } })).status).toBe(400);
  });

  it.skipIf(skip)('answers 503 naming the missing settings when APNs or Apple verification is not configured', async () => {
    const config = { ...mayfly.config, APNS_KEY_FILE: undefined, APNS_TEAM_ID: undefined, APPLE_ROOT_CERTS: undefined, APPLE_APP_APPLE_ID: undefined };
    const bare = createApp({ services: { ...mayfly.services, config }, log: logs.log, metrics: mayfly.metrics });
    const app = tenant();
    const { id } = await register(app);
    const push = await call(app, '/ios/notify', { registration_id: id, alert: 'x' }, bare);
    expect(push.status).toBe(503);
    expect(push.body.error?.message).toContain('APNS_KEY_FILE, APNS_TEAM_ID');
    const receipt = await call(app, '/ios/validate-receipt', { signed_transaction: 'a.b.c' }, bare);
    expect(receipt.status).toBe(503);
    expect(receipt.body.error?.message).toContain('APPLE_ROOT_CERTS, APPLE_APP_APPLE_ID');
    const unreadable = { ...mayfly.services, config: { ...mayfly.config, APNS_KEY_FILE: join(fx.dir, 'missing.p8'), APPLE_ROOT_CERTS: fx.env.APNS_KEY_FILE } };
    const broken = createApp({ services: unreadable, log: logs.log, metrics: mayfly.metrics });
    const noKey = await call(app, '/ios/notify', { registration_id: id, alert: 'x' }, broken);
    expect(noKey).toMatchObject({ status: 503, body: { error: { message: expect.stringContaining('APNS_KEY_FILE') as unknown } } });
    expect(noKey.body.error?.message).not.toContain(fx.dir); // paths stay in the server log
    const notDer = await call(app, '/ios/validate-receipt', { signed_transaction: 'a.b.c' }, broken);
    expect(notDer).toMatchObject({ status: 503, body: { error: { message: expect.stringContaining('APPLE_ROOT_CERTS') as unknown } } });
    await ios.close(unreadable);
  });

  describe('StoreKit 2 signed transactions', () => {
    const now = Date.now();
    const txn = (over: Record<string, unknown> = {}) => ({
      transactionId: '2000000123456789',
      originalTransactionId: '2000000123456789',
      bundleId: BUNDLE_ID,
      productId: 'com.example.app.pro.monthly',
      purchaseDate: now - 60_000,
      originalPurchaseDate: now - 60_000,
      expiresDate: now + 30 * DAY,
      quantity: 1,
      type: 'Auto-Renewable Subscription',
      inAppOwnershipType: 'PURCHASED',
      signedDate: now,
      environment: 'Production',
      transactionReason: 'PURCHASE',
      storefront: 'USA',
      storefrontId: '143441',
      ...over,
    });

    it.skipIf(skip)('accepts a transaction signed under the configured root, in Production and Sandbox', async () => {
      const app = tenant();
      const res = await validate(app, await signTransaction(fx.chain, txn()));
      expect(res).toEqual({
        status: 200,
        body: {
          valid: true,
          product_id: 'com.example.app.pro.monthly',
          transaction_id: '2000000123456789',
          expires_at: new Date(now + 30 * DAY).toISOString(),
          environment: 'Production',
        },
      });
      const sandbox = await validate(app, await signTransaction(fx.chain, txn({ environment: 'Sandbox', expiresDate: undefined, type: 'Non-Consumable' })));
      expect(sandbox.body).toEqual({ valid: true, product_id: 'com.example.app.pro.monthly', transaction_id: '2000000123456789', environment: 'Sandbox' });
    });

    it.skipIf(skip)('refuses forgeries with a reason, never a 500', async () => {
      const app = tenant();
      const good = await signTransaction(fx.chain, txn());
      const otherRoot = await makeStoreChain(await makeRoot('Not Apple Root'));
      const expired = await makeStoreChain(fx.appleRoot, { notBefore: new Date(now - 400 * DAY), notAfter: new Date(now - 10 * DAY) });
      const header = good.split('.')[0]!;
      const x5c = (JSON.parse(Buffer.from(header, 'base64url').toString()) as { x5c: string[] }).x5c;
      const cases: [string, string][] = [
        ['verification_failure', withSegment(good, 1, b64json(txn({ productId: 'com.example.app.lifetime' })))],
        ['verification_failure', await signTransaction(otherRoot, txn())],
        ['invalid_certificate', await signTransaction(expired, txn())],
        ['invalid_app_identifier', await signTransaction(fx.chain, txn({ bundleId: 'com.other.app' }))],
        ['unsupported_algorithm', `${b64json({ alg: 'none', x5c })}.${good.split('.')[1]!}.`],
        ['unsupported_algorithm', withSegment(good, 0, b64json({ alg: 'HS256', x5c }))],
        ['environment_not_accepted', await signTransaction(fx.chain, txn({ environment: 'Xcode' }))],
        ['environment_not_accepted', withSegment(good, 1, b64json(txn({ environment: 'Xcode' })))],
        // The library rewraps its own INVALID_CHAIN_LENGTH as INVALID_CERTIFICATE (3.1.0).
        ['invalid_certificate', withSegment(good, 0, b64json({ alg: 'ES256', x5c: x5c.slice(0, 2) }))],
        ['revoked', await signTransaction(fx.chain, txn({ revocationDate: now - 1_000, revocationReason: 0 }))],
        ['expired', await signTransaction(fx.chain, txn({ expiresDate: now - 1_000 }))],
        ['malformed', 'not-a-jws'],
        ['malformed', `${b64json([1])}.${b64json({})}.x`],
      ];
      for (const [reason, jws] of cases) {
        const res = await validate(app, jws);
        expect({ reason, status: res.status, body: res.body }).toMatchObject({ reason, status: 200, body: { valid: false, reason } });
      }
    });

    it.skipIf(skip)('keeps only aggregate counts per product, environment and verdict', async () => {
      const app = tenant();
      const good = await signTransaction(fx.chain, txn());
      await validate(app, good);
      await validate(app, good);
      await validate(app, 'not-a-jws');
      await validate(app, await signTransaction(fx.chain, txn({ expiresDate: now - 1_000 })));
      const rows = await mayfly.db.query<{ product_id: string; environment: string; valid: boolean; count: number }>(
        'SELECT product_id, environment, valid, count::int AS count FROM receipt_counts WHERE tenant = $1 ORDER BY valid DESC, product_id DESC',
        [app],
      );
      expect(rows).toEqual([
        { product_id: 'com.example.app.pro.monthly', environment: 'Production', valid: true, count: 2 },
        { product_id: 'com.example.app.pro.monthly', environment: 'Production', valid: false, count: 1 },
        { product_id: '', environment: '', valid: false, count: 1 },
      ]);
      expect(await rowsHolding(mayfly.db, '2000000123456789')).toBe(0);
    });
  });

  it.skipIf(skip)('projection: given a registration, when its discard applies, then a tombstone without the token and a queued purge', async () => {
    const app = tenant();
    const [id, expired] = [randomUUID(), randomUUID()];
    const token = hexToken();
    const now = new Date();
    const at = (ms: number) => new Date(now.getTime() + ms).toISOString();
    const batch = (...events: [DeviceEvent, number][]) =>
      mayfly.db.transaction((tx) =>
        deviceRegistrationsProjection.apply(tx, events.map(([event, seq]) => ({ event, seq, subject: deviceSubject(app, event.data.registration_id) })), now),
      );
    const row = (rid: string) => mayfly.db.query('SELECT token, discard_reason, last_seq FROM device_registrations WHERE tenant = $1 AND id = $2', [app, rid]);
    await batch(
      [newEvent('device_token.registered', app, { registration_id: id, token, environment: 'production', expires_at: at(60_000) }, now), 1],
      [newEvent('device_token.registered', app, { registration_id: expired, token, environment: 'production', expires_at: at(-1) }, now), 2],
    );
    expect(await row(id)).toEqual([{ token, discard_reason: null, last_seq: 1 }]);
    expect(await row(expired)).toEqual([]);
    await batch([newEvent('device_token.discarded', app, { registration_id: id, reason: 'Unregistered', expires_at: at(60_000) }, now), 3]);
    expect(await row(id)).toEqual([{ token: null, discard_reason: 'Unregistered', last_seq: 3 }]);
    const queued = await mayfly.db.query<{ subject: string }>('SELECT subject FROM purge_queue WHERE subject = ANY($1::text[])', [
      [deviceSubject(app, id), deviceSubject(app, expired)],
    ]);
    expect(queued.map((q) => q.subject).sort()).toEqual([deviceSubject(app, id), deviceSubject(app, expired)].sort());
  });

  it.skipIf(skip)('never writes a device token to a log line or a response', () => {
    expect(tokens.length).toBeGreaterThan(5);
    const text = logs.text();
    expect(text).toContain('"path":"/api/v1/ios/notify"'); // the access log did run
    for (const token of tokens) {
      expect(text).not.toContain(token);
      for (const body of bodies) expect(body).not.toContain(token);
    }
  });

  it.skipIf(skip)('closes its HTTP/2 session on shutdown', async () => {
    expect(apns.sessions().open).toBe(1);
    await ios.close(mayfly.services);
    await vi.waitFor(() => expect(apns.sessions().open).toBe(0));
  });
});

describe.each(DATABASES)('ios registrations expiring at APNS_TOKEN_TTL_SECONDS, on $name', ({ name, skip }) => {
  it.skipIf(skip)('leave the broker and the projection at their TTL', async () => {
    const fx = await fixtures();
    await using nats = await startTestNats();
    await using database = await testDatabaseUrl(name);
    const mayfly = await startTestMayfly({
      NATS_URL: nats.url,
      DATABASE_URL: database.url,
      APNS_TOKEN_TTL_SECONDS: '2',
      RECONCILE_INTERVAL_SECONDS: '1',
      APNS_HOST: 'https://127.0.0.1:9', // never reached: the registration is gone first
      ...fx.env,
    });
    try {
      const app = 'com.example.expiring';
      const token = hexToken();
      const res = await mayfly.app!.request('/api/v1/ios/register-token', jsonRequest('POST', { token, environment: 'production' }, { 'X-App-ID': app }));
      const { registration_id: id, expires_at } = (await res.json()) as { registration_id: string; expires_at: string };
      expect(await messagesOn(mayfly.broker, 'DEVICES', deviceSubject(app, id))).toBe(1);
      await mayfly.services.consistency.settle('device_registrations', 'DEVICES', deviceSubject(app, id));
      expect(await rowsHolding(mayfly.db, token)).toBe(1);

      await vi.waitUntil(() => Date.now() > Date.parse(expires_at), { timeout: 4_000, interval: 50 });
      const late = await mayfly.app!.request('/api/v1/ios/notify', jsonRequest('POST', { registration_id: id, alert: 'x' }, { 'X-App-ID': app }));
      expect(late.status).toBe(404);
      await vi.waitFor(
        async () => {
          expect(await messagesOn(mayfly.broker, 'DEVICES', deviceSubject(app, id))).toBe(0);
          expect(await rowsHolding(mayfly.db, token)).toBe(0);
        },
        { timeout: 8_000, interval: 200 },
      );
    } finally {
      await mayfly.stop();
      rmSync(fx.dir, { recursive: true, force: true });
    }
  });
});

describe('apps own their Apple identities (registered tenancy)', () => {
  const ADMIN = 'admin-token-for-ios-identity-tests-0123';
  const admin = { Authorization: `Bearer ${ADMIN}` };
  let nats: EmbeddedNats;
  let mayfly: Mayfly;
  let apns: FakeApns;
  let fx: Awaited<ReturnType<typeof fixtures>>;
  const keys = new Map<string, string>();
  const now = Date.now();
  const txn = (bundleId: string) => ({
    transactionId: '2000000999',
    originalTransactionId: '2000000999',
    bundleId,
    productId: `${bundleId}.pro`,
    purchaseDate: now - 60_000,
    originalPurchaseDate: now - 60_000,
    quantity: 1,
    type: 'Non-Consumable',
    inAppOwnershipType: 'PURCHASED',
    signedDate: now,
    environment: 'Sandbox',
    transactionReason: 'PURCHASE',
    storefront: 'USA',
    storefrontId: '143441',
  });

  const call = async (app: string, method: string, path: string, body?: unknown) => {
    const res = await mayfly.app!.request(`/api/v1${path}`, jsonRequest(method, body, { 'X-App-ID': app, Authorization: `Bearer ${keys.get(app) ?? ''}` }));
    return { status: res.status, body: (await res.json()) as Json };
  };
  const adminCall = async (method: string, path: string, body?: unknown) => {
    const res = await mayfly.app!.request(`/api/v1/admin${path}`, jsonRequest(method, body, admin));
    return { status: res.status, body: (await res.json()) as Json };
  };
  const registerApp = async (app: string, bundleIds?: string[]) => {
    const res = await adminCall('POST', '/tenants', { app_id: app, ...(bundleIds ? { bundle_ids: bundleIds } : {}) });
    expect(res.status).toBe(201);
    keys.set(app, res.body.key as string);
  };
  const registerToken = (app: string, extra: Record<string, unknown> = {}) => call(app, 'POST', '/ios/register-token', { token: hexToken(), environment: 'sandbox', ...extra });

  beforeAll(async () => {
    fx = await fixtures();
    apns = await startFakeApns({ key: fx.tlsServer.keyPem, cert: fx.tlsServer.pem });
    nats = await startTestNats();
    // APNS_TOPIC and APPLE_BUNDLE_ID are set: a registered app must not fall back to them.
    mayfly = await startTestMayfly({
      NATS_URL: nats.url,
      DATABASE_URL: 'memory://',
      TENANCY: 'registered',
      ADMIN_TOKEN: ADMIN,
      RECONCILE_INTERVAL_SECONDS: '3600',
      APNS_HOST: apns.url,
      ...fx.env,
      ...fx.appleEnv,
    });
    await registerApp('com.a.app', ['com.a.app', 'com.a.app.widget']);
    await registerApp('com.b.app', ['com.b.app']);
    await registerApp('com.c.app');
  });
  afterAll(async () => {
    await mayfly?.stop();
    await apns?.stop();
    await nats?.stop();
    if (fx) rmSync(fx.dir, { recursive: true, force: true });
  });

  it('registers tokens only for the app’s own bundle ids (the first by default), 403 for another’s', async () => {
    const stolen = await registerToken('com.a.app', { bundle_id: 'com.b.app' });
    expect(stolen).toMatchObject({ status: 403, body: { error: { code: 'FORBIDDEN', message: expect.stringContaining('com.b.app is not one of app com.a.app') as unknown } } });
    expect((await registerToken('com.a.app', { bundle_id: DEFAULT_TOPIC })).status).toBe(403);
    const none = await registerToken('com.c.app');
    expect(none).toMatchObject({ status: 403, body: { error: { code: 'FORBIDDEN', message: expect.stringContaining('has no Apple bundle ids') as unknown } } });

    const widget = await registerToken('com.a.app', { bundle_id: 'com.a.app.widget' });
    expect(widget.status).toBe(201);
    const token = hexToken();
    const plain = await call('com.a.app', 'POST', '/ios/register-token', { token, environment: 'sandbox' });
    expect(plain.status).toBe(201);
    expect((await call('com.a.app', 'POST', '/ios/notify', { registration_id: plain.body.registration_id, alert: 'hi' })).status).toBe(200);
    expect(apns.received.find((p) => p.path === `/3/device/${token}`)?.headers['apns-topic']).toBe('com.a.app');
  });

  it('verifies receipts of the app’s own bundle ids only, never the server’s APPLE_BUNDLE_ID', async () => {
    const validate = async (app: string, bundleId: string) => (await call(app, 'POST', '/ios/validate-receipt', { signed_transaction: await signTransaction(fx.chain, txn(bundleId)) })).body;
    expect(await validate('com.a.app', 'com.a.app')).toMatchObject({ valid: true, product_id: 'com.a.app.pro' });
    expect(await validate('com.a.app', 'com.a.app.widget')).toMatchObject({ valid: true });
    expect(await validate('com.a.app', 'com.b.app')).toEqual({ valid: false, reason: 'invalid_app_identifier' });
    expect(await validate('com.a.app', BUNDLE_ID)).toEqual({ valid: false, reason: 'invalid_app_identifier' });
    expect(await validate('com.b.app', 'com.b.app')).toMatchObject({ valid: true });
    const none = await call('com.c.app', 'POST', '/ios/validate-receipt', { signed_transaction: await signTransaction(fx.chain, txn(BUNDLE_ID)) });
    expect(none).toMatchObject({ status: 403, body: { error: { code: 'FORBIDDEN' } } });
  });

  it('follows an operator’s update: a bundle id taken away stops its pushes and receipts at once', async () => {
    const reg = await registerToken('com.b.app');
    expect(reg.status).toBe(201);
    const updated = await adminCall('PATCH', '/tenants/com.b.app', { bundle_ids: ['com.b2.app'] });
    expect(updated).toMatchObject({ status: 200, body: { app_id: 'com.b.app', bundle_ids: ['com.b2.app'] } });
    const pushed = await call('com.b.app', 'POST', '/ios/notify', { registration_id: reg.body.registration_id, alert: 'hi' });
    expect(pushed).toMatchObject({ status: 403, body: { error: { code: 'FORBIDDEN' } } });
    expect((await registerToken('com.b.app', { bundle_id: 'com.b.app' })).status).toBe(403);
    expect((await registerToken('com.b.app', { bundle_id: 'com.b2.app' })).status).toBe(201);
    const listed = await adminCall('GET', '/tenants');
    expect((listed.body.items as { app_id: string; bundle_ids: string[] }[]).find((t) => t.app_id === 'com.b.app')?.bundle_ids).toEqual(['com.b2.app']);
    // Rate limits stay as they were when only bundle ids change, and the other way round.
    expect(await adminCall('PATCH', '/tenants/com.b.app', { rate_limits: { 'ios.notify': '5/min' } })).toMatchObject({ body: { bundle_ids: ['com.b2.app'], rate_limits: { 'ios.notify': '5/min' } } });
  });

  it('refuses bad updates with 400 and unknown apps with 404', async () => {
    expect(await adminCall('PATCH', '/tenants/com.a.app', {})).toMatchObject({ status: 400, body: { error: { code: 'VALIDATION_FAILED' } } });
    expect(await adminCall('PATCH', '/tenants/com.a.app', { bundle_ids: ['not a bundle'] })).toMatchObject({ status: 400, body: { error: { code: 'VALIDATION_FAILED' } } });
    expect(await adminCall('PATCH', '/tenants/com.a.app', { bundle_ids: ['com.x.app', 'com.x.app'] })).toMatchObject({ status: 400 });
    expect(await adminCall('PATCH', '/tenants/com.nobody.app', { bundle_ids: ['com.x.app'] })).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND' } } });
  });
});
