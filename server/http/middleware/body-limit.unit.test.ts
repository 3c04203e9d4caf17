import { describe, expect, it } from 'vitest';
import { Hono } from 'hono';
import { describeError, errorResponse } from '../errors.ts';
import { bodyLimit } from './body-limit.ts';

function app() {
  const a = new Hono();
  a.use(bodyLimit(8));
  a.post('/', async (c) => c.text(`read ${(await c.req.text()).length}`));
  a.onError((err, c) => errorResponse(c, describeError(err)));
  return a;
}

describe('bodyLimit', () => {
  it('lets a body up to the limit through and refuses a longer one by its Content-Length with 413', async () => {
    expect(await (await app().request('/', { method: 'POST', body: '12345678' })).text()).toBe('read 8');
    const res = await app().request('/', { method: 'POST', body: '123456789', headers: { 'content-length': '9' } });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE' } });
  });

  it('counts a body without a declared length as it streams', async () => {
    const body = new ReadableStream({
      start(c) {
        c.enqueue(new TextEncoder().encode('12345'));
        c.enqueue(new TextEncoder().encode('67890'));
        c.close();
      },
    });
    const res = await app().request('/', { method: 'POST', body, duplex: 'half' } as RequestInit);
    expect(res.status).toBe(413);
  });
});
