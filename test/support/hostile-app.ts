// A hostile app, as its own process so that its sending costs nothing to the client it is
// measured against:
//   node --import tsx test/support/hostile-app.ts <mayfly url> <bot server url> <start> <window ms> <windows> [kinds]
// From <start> (epoch ms) time is cut into windows; the app attacks in the odd ones (1, 3, ...)
// and rests in the even ones, <windows> in all, so that a neighbour's load alone and under
// attack is measured in turns, under the same conditions of the machine. Every kind of abuse
// runs in its own loop; the statuses each met are printed as one JSON line at the end.
import { setTimeout as sleep } from 'node:timers/promises';

const [url, botsUrl, startArg, windowArg, windowsArg, kinds] = process.argv.slice(2);
const start = Number(startArg);
const window = Number(windowArg);
const stop = start + window * Number(windowsArg);

/** Waits for the next attacking window; false once the last has passed. */
async function attacking(): Promise<boolean> {
  for (;;) {
    const now = Date.now();
    if (now >= stop) return false;
    const n = Math.floor((now - start) / window);
    if (now >= start && n % 2 === 1) return true;
    await sleep(now < start ? start - now : start + (n + 1) * window - now);
  }
}

const only = kinds?.split(',');
const seen: Record<string, Record<number, number>> = {};
const note = (kind: string, status: number) => ((seen[kind] ??= {})[status] = (seen[kind][status] ?? 0) + 1);
const app = { 'X-App-ID': 'hostile.app', 'content-type': 'application/json' };

/** A value nested `depth` levels deep with a NUL byte at the bottom: once a poison for the bot_outputs projection. */
function nested(depth: number, leaf: unknown = 'x\u0000y'): unknown {
  let v = leaf;
  for (let i = 0; i < depth; i++) v = { a: v };
  return v;
}

async function send(kind: string, path: string, init?: RequestInit, keepOpen = false): Promise<void> {
  try {
    const res = await fetch(`${url}${path}`, init);
    if (keepOpen && res.body) void res.body.pipeTo(new WritableStream()).catch(() => undefined);
    else await res.body?.cancel();
    note(kind, res.status);
  } catch {
    // A subscription dropped by this side before it was answered is not a failure of the service.
    if (!init?.signal?.aborted) note(kind, 0);
  }
}

async function repeat(kind: string, fn: (i: number) => Promise<void>): Promise<void> {
  if (only && !only.includes(kind)) return;
  for (let i = 0; await attacking(); i++) await fn(i);
}

const poison = JSON.stringify({ task_type: 'echo', context: nested(40) });
const deep = `{"task_type":"echo","context":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
const big = Buffer.from(JSON.stringify({ content: 'x'.repeat(2 * 1024 * 1024) }));
const eleven = Array.from({ length: 11 }, () => 'drafts.list').join(',');
const open = new Set<AbortController>();
// Subscriptions held open are dropped when a rest begins.
const resting = setInterval(() => {
  if (Math.floor((Date.now() - start) / window) % 2 === 1) return;
  for (const abort of open) abort.abort();
  open.clear();
}, 50);

await Promise.all([
  // Payloads that once made a projection retry for ever, on both transports.
  repeat('poison', async (i) => {
    await send('poison', '/api/v1/bots/execute', { method: 'POST', headers: app, body: poison });
    await send('poison', '/trpc/bots.execute', { method: 'POST', headers: app, body: JSON.stringify({ task_type: 'echo', context: nested(70, i) }) });
  }),
  // Batches: encoded commas, more than ten calls, admin hidden in a batch, prototype names.
  repeat('batch', async () => {
    await send('batch', '/trpc/bots.execute%2Cbots.execute?batch=1', { method: 'POST', headers: app, body: JSON.stringify({ 0: { task_type: 'echo', context: {} }, 1: { task_type: 'echo', context: {} } }) });
    await send('batch', `/trpc/${eleven}?batch=1&input={}`, { headers: app });
    await send('batch', '/trpc/admin.tenants.list%2Cdrafts.list?batch=1&input={}', { headers: app });
    await send('batch', '/trpc/constructor,__proto__,toString?batch=1&input={}', { headers: app });
  }),
  // Bodies over the limit, and nesting far past what any parser should follow.
  repeat('body', async () => {
    await send('body', '/api/v1/drafts', { method: 'POST', headers: app, body: big });
    await send('body', '/api/v1/bots/execute', { method: 'POST', headers: app, body: deep });
  }),
  // Paths and app ids made up for every request.
  repeat('junk', async (i) => {
    await send('junk', `/trpc/junk${i}.${'x'.repeat(100)}`, { headers: { 'X-App-ID': `hostile-${i}` } });
    await send('junk', `/api/v1/junk/${i}`, { headers: { 'X-App-ID': `junk-app-${i}` } });
    await send('junk', `/nowhere/${i}?${'q'.repeat(1_000)}`);
  }),
  // Live subscriptions opened and held, half of them dropped by the client now and then.
  repeat('sse', async () => {
    for (let n = 0; n < 30; n++) {
      const abort = new AbortController();
      open.add(abort);
      await send('sse', '/trpc/bots.onUpdate', { headers: { 'X-App-ID': 'hostile.app', accept: 'text/event-stream' }, signal: abort.signal }, true);
    }
    await sleep(500);
    for (const abort of [...open].slice(0, 15)) {
      abort.abort();
      open.delete(abort);
    }
  }),
  // Bots whose endpoint fails, stalls, or answers NUL bytes and deep nesting, under many app ids.
  repeat('bots', async (i) => {
    const target = ['/fail', '/nul', '/deep', '/slow'][i % 4]!;
    await send('bots', '/api/v1/bots/execute', {
      method: 'POST',
      headers: { ...app, 'X-App-ID': `hostile-bot-${i % 8}` },
      body: JSON.stringify({ task_type: 'http', context: { url: `${botsUrl}${target}`, payload: 'p' } }),
    });
    await sleep(20);
  }),
]);
clearInterval(resting);
for (const abort of open) abort.abort();
console.log(JSON.stringify(seen));
process.exit(0);
