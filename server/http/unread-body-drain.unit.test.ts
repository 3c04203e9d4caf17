import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { UnreadBodyDrain } from './unread-body-drain.ts';

const MB = 1024 * 1024;

/**
 * A server that answers 413 at once, never reading the body; with a drain of `bytesPerSecond`, or
 * Node's own clean-up. `bodiesRead(n)` resolves when the server has read `n` bodies to their end.
 */
async function refusingServer(bytesPerSecond?: number): Promise<{ url: string; server: Server; bodiesRead: (n: number) => Promise<void> }> {
  const drain = bytesPerSecond === undefined ? undefined : new UnreadBodyDrain(bytesPerSecond);
  let ended = 0;
  const waiters: { n: number; resolve: () => void }[] = [];
  const server = createServer((req, res) => {
    drain?.watch(req, res);
    req.once('end', () => {
      ended++;
      for (const w of waiters.filter((x) => x.n <= ended)) w.resolve();
    });
    res.writeHead(413, { 'content-type': 'application/json' }).end('{"error":{"code":"PAYLOAD_TOO_LARGE"}}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const bodiesRead = (n: number) => (ended >= n ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ n, resolve })));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, bodiesRead };
}

/**
 * Sends `count` bodies of `bytes` one after the other; the statuses, and the seconds until the
 * server had read them all. The sender's own time is not that: an answer can come while the rest
 * of its body still sits in the sockets' buffers (several MB on loopback, sized by the kernel).
 */
async function send(target: { url: string; bodiesRead: (n: number) => Promise<void> }, count: number, bytes: number): Promise<{ statuses: number[]; seconds: number }> {
  const body = Buffer.alloc(bytes, 'x');
  const statuses: number[] = [];
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    const res = await fetch(target.url, { method: 'POST', body }).catch(() => undefined);
    await res?.body?.cancel();
    statuses.push(res?.status ?? 0);
  }
  await target.bodiesRead(count);
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
    const slow = await send(drained, 6, 2 * MB);
    expect(slow.statuses).toEqual(Array(6).fill(413));
    expect(slow.seconds).toBeGreaterThan(1.5);

    // Node's own clean-up reads the same bodies as fast as they come.
    const plain = await refusingServer();
    servers.push(plain.server);
    const fast = await send(plain, 6, 2 * MB);
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
