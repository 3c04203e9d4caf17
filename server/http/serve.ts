import { getRuntimeKey } from 'hono/adapter';
import type { Hono } from 'hono';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { UnreadBodyDrain } from './unread-body-drain.ts';

/** A listening HTTP server. */
export interface Listener {
  port: number;
  /** Stops accepting, lets in-flight requests finish, closes idle keep-alive sockets. */
  close(): Promise<void>;
}

/** A bound port that answers "starting" until the app is attached. */
export interface BoundPort extends Listener {
  /** From now on, every request goes to `app`. */
  attach(app: Hono<never>): void;
}

/** Raised when the port can not be bound; the message is the one line to print. */
export class PortUnavailable extends Error {
  override name = 'PortUnavailable';
  constructor(
    readonly port: number,
    readonly hostname: string,
    reason: 'in use' | 'not permitted',
  ) {
    super(
      reason === 'in use'
        ? `port ${port} is in use (PORT=${port}): another program listens on ${hostname}:${port}; stop it, or set PORT to a free port`
        : `port ${port} can not be bound (PORT=${port}): not permitted for this user; set PORT to a port above 1023`,
    );
  }
}

type Fetch = (req: Request, env: unknown) => Response | Promise<Response>;

/** What a request gets while the broker, database and consumers start: 503, retry in a second. */
function starting(req: Request): Response {
  const headers = { 'content-type': 'application/json', 'retry-after': '1' };
  if (new URL(req.url).pathname === '/health') return new Response('{"status":"starting"}', { status: 503, headers });
  const body = { error: { code: 'SERVICE_UNAVAILABLE', message: 'Mayfly is starting; try again in a moment' }, request_id: crypto.randomUUID() };
  return new Response(JSON.stringify(body), { status: 503, headers });
}

/**
 * Binds `port` with the runtime's own server (`Deno.serve` on Deno, `@hono/node-server` on
 * Node) and answers 503 until {@link BoundPort.attach} hands it the app: the port is taken
 * before anything slow starts, so a busy one ends start at once ({@link PortUnavailable}).
 */
export async function listen(port: number, hostname: string): Promise<BoundPort> {
  let handler: Fetch = starting;
  const attach = (app: Hono<never>) => {
    handler = (req, env) => app.fetch(req, env as never);
  };
  if (getRuntimeKey() === 'deno') {
    const D = (globalThis as unknown as { Deno: DenoLike }).Deno;
    let server: ReturnType<DenoLike['serve']>;
    try {
      server = D.serve({ port, hostname, onListen: () => undefined }, (req, info) => handler(req, { remoteAddr: info.remoteAddr.hostname }));
    } catch (err) {
      const name = (err as Error).name;
      if (name === 'AddrInUse') throw new PortUnavailable(port, hostname, 'in use');
      if (name === 'PermissionDenied') throw new PortUnavailable(port, hostname, 'not permitted');
      throw err;
    }
    return { port: server.addr.port, attach, close: () => server.shutdown() };
  }
  const { createAdaptorServer } = await import('@hono/node-server');
  // Bodies answered unread are drained at a bounded rate (UnreadBodyDrain), not by the adapter.
  const server = createAdaptorServer({ fetch: (req: Request, env: unknown) => handler(req, env), autoCleanupIncoming: false });
  const drain = new UnreadBodyDrain();
  server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => drain.watch(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') reject(new PortUnavailable(port, hostname, 'in use'));
      else if (err.code === 'EACCES') reject(new PortUnavailable(port, hostname, 'not permitted'));
      else reject(err);
    });
    server.listen(port, hostname, () => resolve());
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : port,
    attach,
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        // Keep-alive sockets would hold close() open for seconds.
        if ('closeIdleConnections' in server) server.closeIdleConnections();
        setTimeout(() => {
          if ('closeAllConnections' in server) server.closeAllConnections();
        }, 2_000).unref();
      }),
  };
}

/** Serves `app` on `port` at once (tests, and anything that has its app before it binds). */
export async function serve(app: Hono<never>, port: number, hostname: string): Promise<Listener> {
  const bound = await listen(port, hostname);
  bound.attach(app);
  return bound;
}

interface DenoLike {
  serve(
    opts: { port: number; hostname: string; onListen: () => void },
    handler: (req: Request, info: { remoteAddr: { hostname: string } }) => Response | Promise<Response>,
  ): { addr: { port: number }; shutdown(): Promise<void> };
}
