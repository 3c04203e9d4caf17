import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HostBreakers } from './handlers/host-breakers.ts';
import { TaskFailure } from './handlers/handler.ts';
import { httpHandler, signBody, type HttpHandlerDeps } from './handlers/http.ts';
import { isInternalAddress } from './handlers/address-guard.ts';
import { runTask } from './run-task.ts';
import { jsonRequest, startTestMayfly } from '../../../test/support/mayfly.ts';
import { startTestNats } from '../../../test/support/nats.ts';

const KEY = 'k'.repeat(64);
const received: { headers: IncomingMessage['headers']; body: string }[] = [];
let failuresLeft = 0;
let server: Server;
let port: number;

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      if (req.url === '/hang') return; // never answers
      if (req.url === '/flaky' && failuresLeft-- > 0) {
        res.writeHead(503).end('busy');
        return;
      }
      if (req.url === '/text') return void res.writeHead(200).end('not json');
      if (req.url === '/refuse') return void res.writeHead(400).end('{}');
      if (req.url === '/nul') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"reply": "a\\u0000b"}');
      if (req.url === '/deep') return void res.writeHead(200, { 'content-type': 'application/json' }).end(`${'['.repeat(100)}${']'.repeat(100)}`);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ reply: 'hi', echoed: JSON.parse(body) as unknown }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

const deps = (over: Partial<HttpHandlerDeps> = {}): HttpHandlerDeps => ({
  allowedHosts: { app: ['127.0.0.1', 'internal.example', '10.1.2.3', '169.254.169.254', '::ffff:127.0.0.1', 'bots.example.com'] },
  allowPrivate: true,
  signingKey: () => KEY,
  ...over,
});
const limits = { timeoutMs: 500, attempts: 3, backoffMs: 10 };
const run = (d: HttpHandlerDeps, url: string, tenant = 'app') => runTask(httpHandler(d), { url, payload: { q: 1 } }, { taskId: 't-1', tenant }, limits);

describe('the http bot handler', () => {
  it('POSTs {task_id, tenant, payload} signed with the tenant key and returns the JSON answer', async () => {
    const outcome = await run(deps(), `http://127.0.0.1:${port}/bot`);
    expect(outcome).toEqual({ ok: true, output: { reply: 'hi', echoed: { task_id: 't-1', tenant: 'app', payload: { q: 1 } } } });
    const last = received.at(-1)!;
    expect(last.headers['x-mayfly-signature']).toBe(signBody(KEY, last.body));
    expect(last.headers['content-type']).toBe('application/json');
  });

  it('refuses loopback, private, link-local and metadata targets, also behind a host name', async () => {
    const guarded = deps({ allowPrivate: false, resolve: async (h) => (h === 'internal.example' ? ['10.0.0.7'] : ['93.184.216.34']) });
    for (const url of [
      'https://127.0.0.1/',
      'https://10.1.2.3/',
      'https://169.254.169.254/latest/meta-data',
      'https://internal.example/',
      'https://[::ffff:127.0.0.1]/',
    ]) {
      const outcome = await run(guarded, url);
      expect(outcome, url).toMatchObject({ ok: false, error: { code: 'URL_NOT_ALLOWED' } });
    }
    for (const ip of [
      '127.0.0.1', '10.9.9.9', '172.20.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '224.0.0.1', '255.255.255.255',
      '::1', '::', 'fe80::1', 'fd00::1', 'ff02::1', '::ffff:10.0.0.1', '64:ff9b::a00:1',
      // 6to4 and IPv4-compatible addresses embed IPv4 ones; site-local is deprecated but routable inside a site.
      '2002:7f00:1::', '2002:a00:1::1', '::7f00:1', '::a00:1', 'fec0::1', '2001:db8::1', '2001::1',
      'not an address',
    ]) {
      expect(isInternalAddress(ip), ip).toBe(true);
    }
    for (const ip of ['93.184.216.34', '2606:4700:4700::1111', '::ffff:93.184.216.34']) expect(isInternalAddress(ip), ip).toBe(false);
  });

  it('calls only allowlisted hosts, over https', async () => {
    expect(await run(deps({ allowedHosts: {} }), `http://127.0.0.1:${port}/`)).toMatchObject({ error: { code: 'URL_NOT_ALLOWED' } });
    expect(await run(deps({ allowPrivate: false }), 'http://bots.example.com/')).toMatchObject({ error: { code: 'URL_NOT_ALLOWED', message: 'only https URLs may be called' } });
  });

  it('ends a task failed when the bot answers what no client may send: a NUL byte, or nesting past 64 levels', async () => {
    expect(await run(deps(), `http://127.0.0.1:${port}/nul`)).toMatchObject({ ok: false, error: { code: 'INVALID_OUTPUT', message: expect.stringContaining('output.reply') as unknown } });
    expect(await run(deps(), `http://127.0.0.1:${port}/deep`)).toMatchObject({ ok: false, error: { code: 'INVALID_OUTPUT' } });
  });

  it('retries a 503, times out a bot that never answers, refuses a non-JSON answer', async () => {
    failuresLeft = 2;
    expect(await run(deps(), `http://127.0.0.1:${port}/flaky`)).toMatchObject({ ok: true });
    expect(await run(deps(), `http://127.0.0.1:${port}/hang`)).toMatchObject({ ok: false, error: { code: 'TIMEOUT' } });
    expect(await run(deps(), `http://127.0.0.1:${port}/text`)).toMatchObject({ ok: false, error: { code: 'BAD_UPSTREAM_RESPONSE' } });
  });

  it('opens the circuit of one app and host after repeated failures, and leaves other apps alone', async () => {
    failuresLeft = 100;
    const d = deps({ breakers: new HostBreakers({ threshold: 2, cooldownMs: 60_000 }), allowedHosts: { '*': ['127.0.0.1'] } });
    await run(d, `http://127.0.0.1:${port}/flaky`, 'noisy');
    expect(await run(d, `http://127.0.0.1:${port}/flaky`, 'noisy')).toMatchObject({ error: { code: 'CIRCUIT_OPEN' } });
    failuresLeft = 0;
    // Another app calling the same host is not paused by the first one's failures.
    expect(await run(d, `http://127.0.0.1:${port}/bot`, 'neighbour')).toMatchObject({ ok: true });
    expect(await run(d, `http://127.0.0.1:${port}/bot`, 'noisy')).toMatchObject({ error: { code: 'CIRCUIT_OPEN' } });
    expect(new TaskFailure('X', 'y').code).toBe('X');
  });

  it('resolves a half-open trial that ends in a 4xx: the host is called again at once', async () => {
    failuresLeft = 100;
    const d = deps({ breakers: new HostBreakers({ threshold: 2, cooldownMs: 200 }) });
    await run(d, `http://127.0.0.1:${port}/flaky`);
    expect(await run(d, `http://127.0.0.1:${port}/bot`)).toMatchObject({ error: { code: 'CIRCUIT_OPEN' } });
    failuresLeft = 0;
    await new Promise((r) => setTimeout(r, 250));
    // The trial call is refused by the bot (400): not the host's fault, so the circuit closes.
    expect(await run(d, `http://127.0.0.1:${port}/refuse`)).toMatchObject({ error: { code: 'UPSTREAM_REJECTED' } });
    expect(await run(d, `http://127.0.0.1:${port}/bot`)).toMatchObject({ ok: true });
  });

  it('runs end to end through bots.execute when the host is allowed by configuration', async () => {
    await using nats = await startTestNats();
    const mayfly = await startTestMayfly({
      NATS_URL: nats.url,
      DATABASE_URL: 'memory://',
      BOT_HTTP_ALLOWED_HOSTS: JSON.stringify({ '*': ['127.0.0.1'] }),
      BOT_HTTP_ALLOW_PRIVATE: 'true',
    });
    try {
      const res = await mayfly.app!.request(
        '/api/v1/bots/execute',
        jsonRequest('POST', { task_type: 'http', context: { url: `http://127.0.0.1:${port}/bot`, payload: 'p' } }, { 'X-App-ID': 'e2e' }),
      );
      expect(await res.json()).toMatchObject({ status: 'completed', output: { reply: 'hi', echoed: { tenant: 'e2e', payload: 'p' } } });
    } finally {
      await mayfly.stop();
    }
  });
});
