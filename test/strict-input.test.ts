// Strict, consistent input on every route and both transports: unknown fields are refused by
// name, a JSON body's numbers are numbers (query strings still coerce), app ids start and end
// with a letter or digit, every validation failure is VALIDATION_FAILED with details, and a
// known path asked with another method is a 405 with Allow.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import superjson from 'superjson';
import type { Mayfly } from '../server/runtime/start.ts';
import type { EmbeddedNats } from '../server/platform/nats/embedded-server.ts';
import { appRouter } from '../server/modules/index.ts';
import { jsonRequest, startTestMayfly } from './support/mayfly.ts';
import { startTestNats } from './support/nats.ts';

const ADMIN = 'strict-admin-token-0123456789abcdef';
type Issue = { path: string; message: string; code: string };
type Envelope = { error: { code: string; message: string; details?: Issue[] } };
type TrpcError = { error: { json: { data: { error_code: string; details?: Issue[] } } } };

describe('strict input', () => {
  let nats: EmbeddedNats;
  let mayfly: Mayfly;
  const app = () => `strict-${randomUUID().slice(0, 8)}`;
  const req = (path: string, init?: RequestInit) => mayfly.app!.request(path, init);
  /** A tRPC call as the typed client sends it (superjson), answered in tRPC's shape. */
  const trpc = async (procedure: string, type: string, input: unknown, headers: Record<string, string>) => {
    const encoded = JSON.stringify(superjson.serialize(input));
    const res =
      type === 'mutation'
        ? await req(`/trpc/${procedure}`, jsonRequest('POST', encoded, headers))
        : await req(`/trpc/${procedure}?input=${encodeURIComponent(encoded)}`, { headers });
    return { status: res.status, body: (await res.json()) as TrpcError };
  };

  beforeAll(async () => {
    nats = await startTestNats();
    mayfly = await startTestMayfly({ NATS_URL: nats.url, DATABASE_URL: 'memory://', ADMIN_TOKEN: ADMIN, RECONCILE_INTERVAL_SECONDS: '3600' });
  });
  afterAll(async () => {
    await mayfly?.stop();
    await nats?.stop();
  });

  it('refuses an unknown field by name on every REST route', async () => {
    const doc = (await (await req('/openapi.json')).json()) as { paths: Record<string, Record<string, unknown>> };
    const routes = Object.entries(doc.paths).flatMap(([path, item]) => Object.keys(item).map((method) => ({ method: method.toUpperCase(), path })));
    expect(routes.length).toBeGreaterThan(20);
    for (const route of routes) {
      const path = `/api/v1${route.path.replace(/\{[^}]+\}/g, (p) => (p === '{app_id}' ? 'com.example.app' : randomUUID()))}`;
      const headers: Record<string, string> = route.path.startsWith('/admin/') ? { Authorization: `Bearer ${ADMIN}` } : { 'X-App-ID': app() };
      const res =
        route.method === 'GET' || route.method === 'DELETE'
          ? await req(`${path}?zz_unknown=1`, { method: route.method, headers })
          : await req(path, jsonRequest(route.method, { zz_unknown: 1 }, headers));
      const body = (await res.json()) as Envelope;
      expect([route.method, route.path, res.status, body.error?.code]).toEqual([route.method, route.path, 400, 'VALIDATION_FAILED']);
      expect(body.error.details).toContainEqual({ path: 'zz_unknown', message: 'is not a known field', code: 'unrecognized_keys' });
    }
  });

  it('refuses an unknown field by name on every tRPC procedure', async () => {
    const procedures = Object.entries(appRouter._def.procedures as unknown as Record<string, { _def: { type: string } }>).filter(([, p]) => p._def.type !== 'subscription');
    expect(procedures.length).toBeGreaterThan(20);
    for (const [name, p] of procedures) {
      const headers: Record<string, string> = name.startsWith('admin.') ? { Authorization: `Bearer ${ADMIN}` } : { 'X-App-ID': app() };
      const { status, body } = await trpc(name, p._def.type, { zz_unknown: 1 }, headers);
      expect([name, status, body.error?.json.data.error_code]).toEqual([name, 400, 'VALIDATION_FAILED']);
      expect(body.error.json.data.details).toContainEqual({ path: 'zz_unknown', message: 'is not a known field', code: 'unrecognized_keys' });
    }
  });

  it('names a misspelt field inside a nested object (a mail’s template_data)', async () => {
    const mail = { to: 'ada@example.com', subject: 'Receipt', template_id: 'd-1', template_data: { name: 'Ada' } };
    const direct = await req('/api/v1/email/send', jsonRequest('POST', mail, { 'X-App-ID': app() }));
    expect(direct.status).toBe(400);
    expect(((await direct.json()) as Envelope).error.details).toEqual([{ path: 'template_data', message: 'is not a known field', code: 'unrecognized_keys' }]);
    const task = await req('/api/v1/bots/execute', jsonRequest('POST', { task_type: 'email', context: mail }, { 'X-App-ID': app() }));
    expect(task.status).toBe(400);
    expect(((await task.json()) as Envelope).error.details).toEqual([{ path: 'context.template_data', message: 'is not a known field', code: 'unrecognized_keys' }]);
    const alert = await req('/api/v1/ios/notify', jsonRequest('POST', { registration_id: randomUUID(), alert: { title: 'Hi', colour: 'red' } }, { 'X-App-ID': app() }));
    expect(((await alert.json()) as Envelope).error.details).toEqual([{ path: 'alert.colour', message: 'is not a known field', code: 'unrecognized_keys' }]);
  });

  it('takes numbers in a JSON body only as numbers, on REST and tRPC alike, before and after REST calls', async () => {
    const tenant = app();
    for (let round = 0; round < 2; round++) {
      const rest = await req('/api/v1/drafts', jsonRequest('POST', { content: 'x', ttl_seconds: '60' }, { 'X-App-ID': tenant }));
      expect(rest.status).toBe(400);
      expect(((await rest.json()) as Envelope).error).toMatchObject({ code: 'VALIDATION_FAILED', details: [{ path: 'ttl_seconds', code: 'invalid_type' }] });
      const viaTrpc = await trpc('drafts.create', 'mutation', { content: 'x', ttl_seconds: '60' }, { 'X-App-ID': tenant });
      expect(viaTrpc.status).toBe(400);
      expect(viaTrpc.body.error.json.data).toMatchObject({ error_code: 'VALIDATION_FAILED', details: [{ path: 'ttl_seconds', code: 'invalid_type' }] });
      const bot = await req('/api/v1/bots/execute', jsonRequest('POST', { task_type: 'echo', context: {}, wait_ms: '0' }, { 'X-App-ID': tenant }));
      expect(bot.status).toBe(400);
    }
    expect((await req('/api/v1/drafts', jsonRequest('POST', { content: 'x', ttl_seconds: 60 }, { 'X-App-ID': tenant }))).status).toBe(201);
  });

  it('still coerces query strings', async () => {
    const tenant = app();
    for (let i = 0; i < 3; i++) await req('/api/v1/drafts', jsonRequest('POST', { content: `d${i}` }, { 'X-App-ID': tenant }));
    const page = await req('/api/v1/drafts?limit=2', { headers: { 'X-App-ID': tenant } });
    expect(page.status).toBe(200);
    expect(((await page.json()) as { items: unknown[] }).items).toHaveLength(2);
    const bad = await req('/api/v1/drafts?limit=two', { headers: { 'X-App-ID': tenant } });
    expect(((await bad.json()) as Envelope).error).toMatchObject({ code: 'VALIDATION_FAILED', details: [{ path: 'limit' }] });
  });

  it('takes app ids that start and end with a letter or digit, on REST and tRPC', async () => {
    for (const bad of ['..', '.', '-', '.app', 'app.', '-app', 'app-', '_app', 'app_']) {
      const rest = await req('/api/v1/drafts', { headers: { 'X-App-ID': bad } });
      expect([bad, rest.status, ((await rest.json()) as Envelope).error.code]).toEqual([bad, 400, 'INVALID_APP_ID']);
      const viaTrpc = await req('/trpc/drafts.list', { headers: { 'X-App-ID': bad } });
      expect([bad, viaTrpc.status]).toEqual([bad, 400]);
    }
    for (const good of ['a', '7', 'com.example.app', 'my-app_2', 'A.b-C_d']) {
      expect([good, (await req('/api/v1/drafts', { headers: { 'X-App-ID': good } })).status]).toEqual([good, 200]);
    }
  });

  it('answers a ttl_seconds over the server limit, a bad cursor, an unknown task type and a malformed Idempotency-Key with VALIDATION_FAILED and details', async () => {
    const tenant = app();
    const draft = await req('/api/v1/drafts', jsonRequest('POST', { content: 'x', ttl_seconds: 31_536_000 }, { 'X-App-ID': tenant }));
    expect(await draft.json()).toMatchObject({ error: { code: 'VALIDATION_FAILED', details: [{ path: 'ttl_seconds', code: 'too_big' }] } });
    const bot = await req('/api/v1/bots/execute', jsonRequest('POST', { task_type: 'echo', context: {}, ttl_seconds: 31_536_000 }, { 'X-App-ID': tenant }));
    expect(await bot.json()).toMatchObject({ error: { code: 'VALIDATION_FAILED', details: [{ path: 'ttl_seconds', code: 'too_big' }] } });
    const cursor = await req('/api/v1/drafts?cursor=nope', { headers: { 'X-App-ID': tenant } });
    expect(await cursor.json()).toMatchObject({ error: { code: 'VALIDATION_FAILED', details: [{ path: 'cursor' }] } });
    const unknown = await req('/api/v1/bots/execute', jsonRequest('POST', { task_type: 'teleport', context: {} }, { 'X-App-ID': tenant }));
    const body = (await unknown.json()) as Envelope;
    expect(body.error).toMatchObject({ code: 'VALIDATION_FAILED', details: [{ path: 'task_type', code: 'invalid_value' }] });
    expect(body.error.message).toContain('echo, email, http, template');
    const key = await req('/api/v1/drafts', jsonRequest('POST', { content: 'x' }, { 'X-App-ID': tenant, 'Idempotency-Key': 'k'.repeat(256) }));
    expect(await key.json()).toMatchObject({ error: { code: 'VALIDATION_FAILED', details: [{ path: 'Idempotency-Key', code: 'invalid_format' }] } });
  });

  it('answers a known path asked with another method with 405 and Allow, on REST, tRPC and the pages', async () => {
    const cases: [string, string, string][] = [
      ['PUT', '/api/v1/drafts', 'GET, POST'],
      ['POST', `/api/v1/drafts/${randomUUID()}`, 'GET, PATCH, DELETE'],
      ['GET', '/api/v1/bots/execute', 'POST'],
      ['PUT', '/trpc/drafts.create', 'POST'],
      ['DELETE', '/trpc/drafts.list', 'GET'],
      ['POST', '/health', 'GET'],
      ['DELETE', '/openapi.json', 'GET'],
      ['PUT', '/docs', 'GET'],
    ];
    for (const [method, path, allow] of cases) {
      const res = await req(path, { method, headers: { 'X-App-ID': 'app', 'content-type': 'application/json' }, ...(method === 'GET' ? {} : { body: '{}' }) });
      expect([method, path, res.status, res.headers.get('allow')]).toEqual([method, path, 405, allow]);
      expect(await res.json()).toMatchObject({ error: { code: 'METHOD_NOT_ALLOWED' } });
    }
    expect((await req('/api/v1/nothing-here', { method: 'PUT', headers: { 'X-App-ID': 'app' } })).status).toBe(404);
  });
});
