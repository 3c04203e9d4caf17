import { describe, expect, it } from 'vitest';
import { Hono } from 'hono';
import { requestId } from 'hono/request-id';
import { allowedMethods } from './allowed-methods.ts';

function app() {
  const a = new Hono();
  a.use(requestId({ headerName: 'X-Request-ID' }));
  a.use(allowedMethods((c) => (c.req.path === '/things' ? ['GET', 'POST'] : undefined)));
  a.get('/things', (c) => c.text('list'));
  a.post('/things', (c) => c.text('made'));
  return a;
}

describe('allowedMethods', () => {
  it('answers a known path asked with another method with 405, Allow and the error envelope', async () => {
    const res = await app().request('/things', { method: 'PUT' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, POST');
    expect(await res.json()).toMatchObject({ error: { code: 'METHOD_NOT_ALLOWED', message: 'PUT is not allowed here; use GET or POST' }, request_id: expect.any(String) as unknown });
  });

  it('lets the allowed methods and HEAD (where GET is) through, answers OPTIONS with Allow, and leaves unknown paths alone', async () => {
    expect(await (await app().request('/things')).text()).toBe('list');
    expect(await (await app().request('/things', { method: 'POST' })).text()).toBe('made');
    expect((await app().request('/things', { method: 'HEAD' })).status).toBe(200);
    const options = await app().request('/things', { method: 'OPTIONS' });
    expect([options.status, options.headers.get('allow')]).toEqual([204, 'GET, POST']);
    expect((await app().request('/elsewhere', { method: 'PUT' })).status).toBe(404);
  });
});
