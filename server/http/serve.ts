import { getRuntimeKey } from 'hono/adapter';
import type { Hono } from 'hono';

/** A listening HTTP server. */
export interface Listener {
  port: number;
  /** Stops accepting, lets in-flight requests finish, closes idle keep-alive sockets. */
  close(): Promise<void>;
}

/** Serves `app` with the runtime's own server: `Deno.serve` on Deno, `@hono/node-server` on Node. */
export async function serve(app: Hono<never>, port: number, hostname: string): Promise<Listener> {
  if (getRuntimeKey() === 'deno') {
    const D = (globalThis as unknown as { Deno: DenoLike }).Deno;
    return new Promise((resolve) => {
      const server = D.serve({ port, hostname, onListen: () => undefined }, (req, info) =>
        app.fetch(req, { remoteAddr: info.remoteAddr.hostname }),
      );
      resolve({ port: server.addr.port, close: () => server.shutdown() });
    });
  }
  const { serve: nodeServe } = await import('@hono/node-server');
  return new Promise((resolve) => {
    const server = nodeServe({ fetch: app.fetch, port, hostname }, (info) => {
      resolve({
        port: info.port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            // Keep-alive sockets would hold close() open for seconds.
            if ('closeIdleConnections' in server) server.closeIdleConnections();
            setTimeout(() => {
              if ('closeAllConnections' in server) server.closeAllConnections();
            }, 2_000).unref();
          }),
      });
    });
  });
}

interface DenoLike {
  serve(
    opts: { port: number; hostname: string; onListen: () => void },
    handler: (req: Request, info: { remoteAddr: { hostname: string } }) => Response | Promise<Response>,
  ): { addr: { port: number }; shutdown(): Promise<void> };
}
