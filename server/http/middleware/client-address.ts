import type { Context } from 'hono';

/** The peer address of the connection (Node: the socket; Deno: passed in by serve()). */
export function clientAddress(c: Context): string {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } }; remoteAddr?: string } | undefined;
  return env?.incoming?.socket?.remoteAddress ?? env?.remoteAddr ?? 'unknown';
}
