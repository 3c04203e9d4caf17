import { describe, expect, it } from 'vitest';
import { Hono } from 'hono';
import { requestId } from 'hono/request-id';
import { MayflyError, unavailable } from '../../platform/errors.ts';
import { createMetrics } from '../../platform/metrics.ts';
import { describeError, errorResponse } from '../errors.ts';
import { capturingLogger } from '../../../test/support/mayfly.ts';
import { requestLog, requestLogger } from './request-log.ts';

describe('requestLog', () => {
  it('writes one line per request with its id, tenant, procedure, status and duration, and counts it', async () => {
    const logs = capturingLogger();
    const metrics = createMetrics();
    const app = new Hono();
    app.use(requestId({ headerName: 'X-Request-ID' }));
    app.use(requestLog({ log: logs.log, metrics, procedures: new Set(['drafts.create']), tenantLabel: (t) => t }));
    app.post('/api', async (c) => {
      c.set('tenant', 'com.example.app');
      c.set('calls', ['drafts.create']);
      requestLogger(c, logs.log).info('inside');
      return c.json({ secret: await c.req.text() }, 201);
    });
    const res = await app.request('/api', { method: 'POST', body: 'do-not-log-me', headers: { 'X-Request-ID': 'rid-1' } });
    expect(res.headers.get('x-request-id')).toBe('rid-1');
    await new Promise((r) => setTimeout(r, 10));
    const [inside, line] = logs.lines();
    expect(inside).toMatchObject({ msg: 'inside', request_id: 'rid-1', tenant: 'com.example.app' });
    expect(line).toMatchObject({ msg: 'request', request_id: 'rid-1', tenant: 'com.example.app', procedure: 'drafts.create', status: 201, method: 'POST' });
    expect(typeof line!.duration_ms).toBe('number');
    expect(logs.text()).not.toContain('do-not-log-me');
    const text = await metrics.registry.metrics();
    expect(text).toContain('mayfly_http_requests_total{tenant="com.example.app",procedure="drafts.create",status="201"} 1');
  });

  it('labels requests outside the API by their route, and unknown paths as other', async () => {
    const logs = capturingLogger();
    const app = new Hono();
    app.use(requestId());
    app.use(requestLog({ log: logs.log, metrics: createMetrics(), procedures: new Set(), tenantLabel: () => 'other' }));
    app.get('/health', (c) => c.text('ok'));
    await app.request('/health');
    await app.request('/a/b/c');
    await new Promise((r) => setTimeout(r, 10));
    expect(logs.lines().map((l) => l.procedure)).toEqual(['/health', 'other']);
  });

  it('puts a refusal on the request’s own line: info for 4xx, warn without a stack for an expected 503, error with the stack for a 500', async () => {
    const logs = capturingLogger();
    const app = new Hono();
    app.use(requestId());
    app.use(requestLog({ log: logs.log, metrics: createMetrics(), procedures: new Set(), tenantLabel: () => 'other' }));
    app.get('/bad', (c) => errorResponse(c, describeError(new MayflyError('VALIDATION_FAILED', 'the input is not valid'))));
    app.get('/unconfigured', (c) => errorResponse(c, describeError(new MayflyError('SERVICE_UNAVAILABLE', 'storage is not configured: set S3_BUCKET'))));
    app.get('/down', (c) => {
      const thrown = unavailable('the event broker is not available; try again', new Error('TIMEOUT'));
      return errorResponse(c, describeError(thrown), thrown);
    });
    app.get('/bug', () => {
      throw new TypeError('x is undefined');
    });
    app.onError((err, c) => errorResponse(c, describeError(err), err));
    for (const path of ['/bad', '/unconfigured', '/down', '/bug']) await app.request(path);
    await new Promise((r) => setTimeout(r, 10));
    const lines = logs.lines();
    expect(lines.map((l) => [l.path, l.level, l.status, l.error_code, l.msg])).toEqual([
      ['/bad', 'info', 400, 'VALIDATION_FAILED', 'request'],
      ['/unconfigured', 'warn', 503, 'SERVICE_UNAVAILABLE', 'request'],
      ['/down', 'warn', 503, 'SERVICE_UNAVAILABLE', 'request'],
      ['/bug', 'error', 500, 'INTERNAL_SERVER_ERROR', 'request'],
    ]);
    expect(lines[1]).toMatchObject({ error: 'storage is not configured: set S3_BUCKET' });
    expect(lines[2]).toMatchObject({ error: 'the event broker is not available; try again', cause: 'TIMEOUT' });
    expect(lines.slice(0, 3).map((l) => JSON.stringify(l)).join('\n')).not.toContain('stack');
    expect(lines[3]).toMatchObject({ err: { type: 'TypeError', message: 'x is undefined', stack: expect.stringContaining('at ') as unknown } });
  });
});
