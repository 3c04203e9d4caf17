import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Mayfly } from '../server/runtime/start.ts';
import type { EmbeddedNats } from '../server/platform/nats/embedded-server.ts';
import { startTestMayfly } from './support/mayfly.ts';
import { startTestNats } from './support/nats.ts';

const STACK = /\n\s+at |\.ts:\d+|node_modules|Error: /;

/** Percent-encodes anything, lone surrogates included (encodeURIComponent throws on them). */
const enc = (s: string) => [...Buffer.from(s, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');

interface Route {
  method: string;
  path: string;
}

// Text an attacker would send: control characters, NUL, lone surrogates, huge numbers,
// prototype keys, injection-looking strings, long strings.
const hostileString = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary', maxLength: 64 }),
  fc.constantFrom('\u0000', 'a\u0000b', '\ud800', 'x\udc00y', '__proto__', 'constructor', "'; DROP TABLE drafts; --", '../../etc/passwd', '{{constructor.constructor}}', '%00', '\u202e', 'drafts.>', '*', '💥'.repeat(3)),
  fc.string({ minLength: 300, maxLength: 3000 }),
);
const hostileValue = fc.oneof(
  hostileString,
  fc.integer(),
  fc.double(),
  fc.constantFrom(Number.MAX_SAFE_INTEGER, -1, 0, 1e308, null, true, false),
  fc.jsonValue({ maxDepth: 3 }),
);
const hostileBody = fc.oneof(
  fc.dictionary(hostileString, hostileValue, { maxKeys: 6 }).map((o) => JSON.stringify(o)),
  fc.record({ content: hostileValue, ttl_seconds: hostileValue, task_type: hostileValue, context: hostileValue, code: hostileValue, session_id: hostileValue, to: hostileValue, token: hostileValue, key: hostileValue }, { requiredKeys: [] }).map((o) => JSON.stringify(o)),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  hostileString,
  fc.constantFrom('{', '[', '{"a":', 'null', '""', '{"__proto__": {"polluted": 1}}', '{"content": "\\ud800"}', '{"content": "a\\u0000b"}'),
);
const headerValue = fc.oneof(fc.stringMatching(/^[A-Za-z0-9._-]{1,70}$/), fc.constantFrom('', ' ', 'a b', 'app.>', 'a*', 'x'.repeat(65)));

describe('hostile input on every REST route', () => {
  let nats: EmbeddedNats;
  let mayfly: Mayfly;
  let routes: Route[];

  beforeAll(async () => {
    nats = await startTestNats();
    mayfly = await startTestMayfly({ NATS_URL: nats.url, DATABASE_URL: 'memory://', READ_YOUR_WRITES_TIMEOUT_MS: '2000', ADMIN_TOKEN: 'fuzz-admin-token-0123456789abcdef' });
    const doc = (await (await mayfly.app!.request('/openapi.json')).json()) as { paths: Record<string, Record<string, unknown>> };
    routes = Object.entries(doc.paths).flatMap(([path, item]) => Object.keys(item).map((method) => ({ method: method.toUpperCase(), path: `/api/v1${path}` })));
  });
  afterAll(async () => {
    await mayfly?.stop();
    await nats?.stop();
  });

  it('never answers 5xx or shows a stack trace, and the process stays up', async () => {
    expect(routes.length).toBeGreaterThan(8);
    let sent = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: 1_000 }),
        hostileString,
        hostileBody,
        headerValue,
        fc.option(fc.constantFrom('application/json', 'text/plain', 'application/json; charset=utf-8', 'multipart/form-data'), { nil: undefined }),
        fc.option(hostileString, { nil: undefined }),
        async (pick, pathParam, body, appId, contentType, query) => {
          const route = routes[pick % routes.length]!;
          const param = enc(pathParam).slice(0, 900) || 'x';
          let path = route.path.replace(/\{[^}]+\}/g, param);
          if (query !== undefined) path += `?limit=${enc(query)}&cursor=${enc(query)}&code=${enc(query)}`;
          const headers: Record<string, string> = { 'X-App-ID': appId, Authorization: `Bearer ${appId}` };
          if (contentType) headers['content-type'] = contentType;
          const withBody = route.method !== 'GET' && route.method !== 'DELETE';
          const res = await mayfly.app!.request(path, { method: route.method, headers, ...(withBody ? { body } : {}) });
          sent++;
          const text = await res.text();
          if (res.status >= 500 || STACK.test(text)) {
            throw new Error(`${route.method} ${path} -> ${res.status} ${text.slice(0, 300)}`);
          }
        },
      ),
      { numRuns: 2_500, interruptAfterTimeLimit: 90_000 },
    );
    expect(sent).toBeGreaterThan(500);
    expect((await mayfly.app!.request('/health')).status).toBe(200);
  }, 120_000);

  it('refuses NUL bytes and lone surrogates with 400', async () => {
    for (const body of ['{"content": "a\\u0000b"}', '{"content": "x\\ud800"}', '{"content": "ok", "\\udc00": 1}']) {
      const res = await mayfly.app!.request('/api/v1/drafts', { method: 'POST', headers: { 'X-App-ID': 'fuzz', 'content-type': 'application/json' }, body });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: { code: 'VALIDATION_FAILED' } });
    }
  });
});
