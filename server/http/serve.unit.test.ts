import { describe, expect, it } from 'vitest';
import { createServer } from 'node:net';
import { Hono } from 'hono';
import { listen, PortUnavailable } from './serve.ts';

describe('listen', () => {
  it('answers 503 until the app is attached, then the app', async () => {
    const bound = await listen(0, '127.0.0.1');
    try {
      const base = `http://127.0.0.1:${bound.port}`;
      const health = await fetch(`${base}/health`);
      expect([health.status, health.headers.get('retry-after'), await health.json()]).toEqual([503, '1', { status: 'starting' }]);
      const api = await fetch(`${base}/api/v1/drafts`);
      expect(await api.json()).toMatchObject({ error: { code: 'SERVICE_UNAVAILABLE', message: 'Mayfly is starting; try again in a moment' } });
      const app = new Hono();
      app.get('/health', (c) => c.json({ status: 'ok' }));
      bound.attach(app as never);
      expect(await (await fetch(`${base}/health`)).json()).toEqual({ status: 'ok' });
    } finally {
      await bound.close();
    }
  });

  it('refuses a port in use with one line naming it and PORT', async () => {
    const other = createServer();
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
    const port = (other.address() as { port: number }).port;
    try {
      const err = await listen(port, '127.0.0.1').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PortUnavailable);
      expect((err as Error).message).toBe(`port ${port} is in use (PORT=${port}): another program listens on 127.0.0.1:${port}; stop it, or set PORT to a free port`);
    } finally {
      other.close();
    }
  });
});
