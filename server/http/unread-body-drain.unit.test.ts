import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { UnreadBodyDrain } from './unread-body-drain.ts';

const MB = 1024 * 1024;

/** A server that answers 413 at once, never reading the body; with a drain of `bytesPerSecond`, or Node's own clean-up. */
async function refusingServer(bytesPerSecond?: number): Promise<{ url: string; server: Server }> {
  const drain = bytesPerSecond === undefined ? undefined : new UnreadBodyDrain(bytesPerSecond);
  const server = createServer((req, res) => {
    drain?.watch(req, res);
    res.writeHead(413, { 'content-type': 'application/json' }).end('{"error":{"code":"PAYLOAD_TOO_LARGE"}}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/** Sends `count` bodies of `bytes` one after the other; the statuses and the seconds it took. */
async function send(url: string, count: number, bytes: number): Promise<{ statuses: number[]; seconds: number }> {
  const body = Buffer.alloc(bytes, 'x');
  const statuses: number[] = [];
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    const res = await fetch(url, { method: 'POST', body }).catch(() => undefined);
    await res?.body?.cancel();
    statuses.push(res?.status ?? 0);
  }
  return { statuses, seconds: (performance.now() - started) / 1000 };
}

describe('UnreadBodyDrain', () => {
  const servers: Server[] = [];
  afterEach(() => {
    for (const s of servers.splice(0)) {
      s.closeAllConnections();
      s.close();
    }
  });

  it('reads bodies answered unread no faster than its rate, and every sender still gets its answer', async () => {
    const drained = await refusingServer(4 * MB);
    servers.push(drained.server);
    // 12 MB at 4 MB/s, the first 4 MB from the full budget: about 2 s.
    const slow = await send(drained.url, 6, 2 * MB);
    expect(slow.statuses).toEqual(Array(6).fill(413));
    expect(slow.seconds).toBeGreaterThan(1.5);

    // Node's own clean-up reads the same bodies as fast as they come.
    const plain = await refusingServer();
    servers.push(plain.server);
    const fast = await send(plain.url, 6, 2 * MB);
    expect(fast.statuses).toEqual(Array(6).fill(413));
    expect(fast.seconds).toBeLessThan(slow.seconds / 2);
  });

  it('leaves a body the handler read, and a request without one, alone', async () => {
    const drain = new UnreadBodyDrain(1024);
    const server = createServer((req, res) => {
      drain.watch(req, res);
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => res.end(String(Buffer.concat(chunks).length)));
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const started = performance.now();
    expect(await (await fetch(url, { method: 'POST', body: Buffer.alloc(MB) })).text()).toBe(String(MB));
    expect(await (await fetch(url)).text()).toBe('0');
    // A 1 KB/s drain would have taken minutes over that megabyte.
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});
