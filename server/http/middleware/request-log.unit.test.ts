import { describe, expect, it } from 'vitest';
import { Hono } from 'hono';
import { requestId } from 'hono/request-id';
import { createMetrics } from '../../platform/metrics.ts';
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
});
