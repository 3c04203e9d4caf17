import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Mayfly } from '../server/runtime/start.ts';
import type { EmbeddedNats } from '../server/platform/nats/embedded-server.ts';
import { capturingLogger, jsonRequest, startTestMayfly } from './support/mayfly.ts';
import { startTestNats } from './support/nats.ts';

const STACK = /\n\s+at |\.ts:\d+|node_modules/;

describe('the HTTP edge', () => {
  let nats: EmbeddedNats;
  let mayfly: Mayfly;
  const logs = capturingLogger();
  const req = (path: string, init?: RequestInit) => mayfly.app!.request(path, init);

  beforeAll(async () => {
    nats = await startTestNats();
    mayfly = await startTestMayfly({ NATS_URL: nats.url, DATABASE_URL: 'memory://', BODY_LIMIT_BYTES: '1024' }, { log: logs.log });
  });
  afterAll(async () => {
    await mayfly?.stop();
    await nats?.stop();
  });

  it('serves /health and / without an app id', async () => {
    const health = await req('/health');
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    expect(await (await req('/')).json()).toMatchObject({ name: 'mayfly', docs: '/docs', openapi: '/openapi.json' });
  });

  it('echoes X-Request-ID, or makes one', async () => {
    const echoed = await req('/health', { headers: { 'X-Request-ID': 'abc-123' } });
    expect(echoed.headers.get('x-request-id')).toBe('abc-123');
    const made = await req('/api/v1/drafts', { headers: { 'X-App-ID': 'app' } });
    expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('sets secure headers', async () => {
    const res = await req('/health');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
  });

  it.each(['/api/v1/drafts', '/trpc/drafts.list'])('requires a well-formed X-App-ID on %s', async (path) => {
    const missing = await req(path);
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({ error: { code: 'MISSING_APP_ID' }, request_id: expect.any(String) as unknown });
    for (const bad of ['a b', 'x'.repeat(65), 'app*', 'drafts.>']) {
      const res = await req(path, { headers: { 'X-App-ID': bad } });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: { code: 'INVALID_APP_ID' } });
    }
  });

  it('answers malformed JSON with 400 on REST and tRPC', async () => {
    const rest = await req('/api/v1/drafts', jsonRequest('POST', '{"content": ', { 'X-App-ID': 'app' }));
    expect(rest.status).toBe(400);
    expect(await rest.json()).toMatchObject({ error: { code: 'MALFORMED_JSON' } });
    const trpc = await req('/trpc/drafts.create', jsonRequest('POST', '{"json": ', { 'X-App-ID': 'app' }));
    expect(trpc.status).toBe(400);
  });

  it('answers validation errors with 400 and the envelope', async () => {
    const res = await req('/api/v1/drafts', jsonRequest('POST', { content: 42, ttl_seconds: -1 }, { 'X-App-ID': 'app' }));
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; details: { path: string }[] }; request_id: string };
    expect(body.error.code).toBe('VALIDATION_FAILED');
    expect(body.error.details.map((d) => d.path).sort()).toEqual(['content', 'ttl_seconds']);
    expect(body.request_id).toBe(res.headers.get('x-request-id'));
    expect((await req('/api/v1/drafts/not-a-uuid', { headers: { 'X-App-ID': 'app' } })).status).toBe(400);
  });

  it('refuses bodies over the limit with 413', async () => {
    const big = JSON.stringify({ content: 'x'.repeat(2048) });
    for (const path of ['/api/v1/drafts', '/trpc/drafts.create']) {
      const res = await req(path, jsonRequest('POST', big, { 'X-App-ID': 'app' }));
      expect(res.status).toBe(413);
      expect(await res.json()).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE' } });
    }
  });

  it('answers unknown routes and wrong content types with the envelope', async () => {
    const unknown = await req('/api/v1/nothing-here', { headers: { 'X-App-ID': 'app' } });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
    expect((await req('/nope')).status).toBe(404);
    const text = await req('/api/v1/drafts', { method: 'POST', body: 'hi', headers: { 'X-App-ID': 'app', 'content-type': 'text/plain' } });
    expect(text.status).toBe(415);
    expect(await text.json()).toMatchObject({ error: { code: 'UNSUPPORTED_MEDIA_TYPE' } });
  });

  it('never puts a stack trace in a response', async () => {
    const probes: [string, RequestInit][] = [
      ['/api/v1/drafts', jsonRequest('POST', '{', { 'X-App-ID': 'app' })],
      ['/api/v1/drafts', jsonRequest('POST', { content: null }, { 'X-App-ID': 'app' })],
      ['/trpc/drafts.get?input=%7B', { headers: { 'X-App-ID': 'app' } }],
      ['/trpc/nothing.here', { headers: { 'X-App-ID': 'app' } }],
      ['/api/v1/drafts/00000000-0000-0000-0000-000000000000', { method: 'PATCH', headers: { 'X-App-ID': 'app' } }],
    ];
    for (const [path, init] of probes) {
      const res = await req(path, init);
      expect(res.status).toBeLessThan(500);
      expect(await res.text()).not.toMatch(STACK);
    }
  });

  it('describes the drafts paths in /openapi.json exactly as the REST table', async () => {
    const doc = (await (await req('/openapi.json')).json()) as {
      openapi: string;
      paths: Record<string, Record<string, { operationId: string; tags: string[]; responses: Record<string, unknown> }>>;
    };
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths['/drafts']!).sort()).toEqual(['get', 'post']);
    expect(Object.keys(doc.paths['/drafts/{id}']!).sort()).toEqual(['delete', 'get', 'patch']);
    expect(doc.paths['/drafts']!.post!.responses).toHaveProperty('201');
    const ids = new Set<string>();
    for (const item of Object.values(doc.paths)) {
      for (const op of Object.values(item)) {
        expect(op.operationId).toMatch(/^[a-z][A-Za-z]+$/);
        expect(op.tags.length).toBeGreaterThan(0);
        expect(op.responses).toHaveProperty('400');
        ids.add(op.operationId);
      }
    }
    expect([...ids]).toEqual(expect.arrayContaining(['draftsCreate', 'draftsGet', 'draftsList', 'draftsUpdate', 'draftsDelete']));
    expect(ids.size).toBe(Object.values(doc.paths).reduce((n, item) => n + Object.keys(item).length, 0)); // unique
    expect(JSON.stringify(doc)).toContain('#/components/schemas/ErrorEnvelope');
  });

  it('renders an API reference at /docs', async () => {
    const res = await req('/docs');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(await res.text()).toContain('docs/swagger-ui-bundle.js');
  });

  it('exports Prometheus metrics by tenant, procedure and status', async () => {
    await req('/api/v1/drafts', jsonRequest('POST', { content: 'm' }, { 'X-App-ID': 'metrics-app' }));
    const res = await req('/metrics');
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    // Under open tenancy any id is an app, so no id gets series of its own.
    expect(text).toMatch(/mayfly_http_requests_total\{tenant="other",procedure="drafts.create",status="201"\} \d+/);
    expect(text).not.toContain('metrics-app');
    expect(text).toContain('mayfly_http_request_duration_seconds_bucket');
    expect(text).toMatch(/mayfly_events_published_total\{stream="DRAFTS",type="draft.saved"\} \d+/);
    expect(text).toContain('mayfly_projection_lag_seconds');
  });

  it('logs an unconfigured integration’s 503 as one warn line without a stack, on REST and tRPC', async () => {
    const upload = { content_type: 'image/png', content_length: 10 };
    const probes: [string, string, unknown][] = [
      ['rid-s3-rest', '/api/v1/storage/uploads', upload],
      ['rid-s3-trpc', '/trpc/storage.createUpload', { json: upload }],
    ];
    for (const [rid, path, body] of probes) {
      const res = await req(path, jsonRequest('POST', body, { 'X-App-ID': 'app', 'X-Request-ID': rid }));
      expect(res.status).toBe(503);
    }
    await new Promise((r) => setTimeout(r, 20));
    for (const [rid] of probes) {
      const lines = logs.lines().filter((l) => l.request_id === rid);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({ level: 'warn', msg: 'request', status: 503, error_code: 'SERVICE_UNAVAILABLE', error: expect.stringContaining('storage is not configured') as unknown });
      expect(JSON.stringify(lines[0])).not.toMatch(/stack|MayflyError/);
    }
  });

  it('keeps metric labels to a closed set whatever clients send', async () => {
    await req('/api/v1/drafts', { headers: { 'X-App-ID': 'warm-up' } });
    const before = (await (await req('/metrics')).text()).split('\n').length;
    for (let i = 0; i < 40; i++) {
      await req(`/trpc/junk${i}.${'x'.repeat(200)}`, { headers: { 'X-App-ID': `app-${i}` } });
      await req(`/api/v1/junk/${i}`, { headers: { 'X-App-ID': `other-${i}` } });
      await req('/api/v1/drafts', { headers: { 'X-App-ID': `new-${i}` } });
      await req(`/nowhere/${i}`);
    }
    const after = await (await req('/metrics')).text();
    expect(after.split('\n').length - before).toBeLessThan(50);
    expect(after).not.toMatch(/junk|app-\d|new-\d/);
    expect(after).toMatch(/procedure="other",status="404"/);
  });

  it('logs one JSON line per request with tenant and request id, and never a draft', async () => {
    await req('/api/v1/drafts', jsonRequest('POST', { content: 'do-not-log-me' }, { 'X-App-ID': 'log-app', 'X-Request-ID': 'rid-42' }));
    const line = logs.lines().find((l) => l.request_id === 'rid-42');
    expect(line).toMatchObject({ tenant: 'log-app', procedure: 'drafts.create', status: 201, msg: 'request' });
    expect(logs.text()).not.toContain('do-not-log-me');
  });
});
