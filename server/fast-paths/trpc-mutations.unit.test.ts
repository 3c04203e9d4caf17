// The lean mutation handler must answer exactly as tRPC's own fetch handler does: every request
// below goes through both, and status, headers that clients read, and body must be identical.
import { describe, expect, it } from 'vitest';
import { Hono, type Context as HonoContext } from 'hono';
import { trpcServer } from '@hono/trpc-server';
import { z } from 'zod';
import type { TRPCError } from '@trpc/server';
import { MayflyError } from '../platform/errors.ts';
import { createMetrics } from '../platform/metrics.ts';
import { publicProcedure, router, tenantProcedure } from '../trpc/trpc.ts';
import type { Context } from '../trpc/context.ts';
import { describeError } from '../trpc/errors.ts';
import { trpcMutations } from './trpc-mutations.ts';

/** tenant procedures count their calls by kind (admin.traffic). */
const metrics = createMetrics();

const testRouter = router({
  notes: router({
    create: tenantProcedure
      .input(z.object({ text: z.string().min(1), at: z.date().optional() }))
      .output(z.object({ text: z.string(), at: z.date(), tenant: z.string() }))
      .mutation(({ input, ctx }) => ({ text: input.text, at: input.at ?? new Date(Date.UTC(2026, 0, 2, 3, 4, 5)), tenant: ctx.tenant })),
    limited: tenantProcedure.mutation(() => {
      throw new MayflyError('TOO_MANY_REQUESTS', 'slow down', { retryAfter: 7 });
    }),
    conflict: tenantProcedure.input(z.object({ id: z.string() })).mutation(({ input }) => {
      throw new MayflyError('CONFLICT', `note ${input.id} changed`, { details: [{ path: 'id', message: 'changed' }] });
    }),
    crash: tenantProcedure.mutation(() => {
      throw new Error('database password is hunter2');
    }),
    nothing: tenantProcedure.mutation(() => undefined),
    streamy: tenantProcedure.mutation(() => ({ later: Promise.resolve(1) })),
  }),
  open: publicProcedure.mutation(({ ctx }) => ({ tenant: ctx.tenant })),
  read: publicProcedure.query(() => 'a query'),
});

type Call = { error: TRPCError; path?: string };

function apps(tenant: string | null) {
  const context = (c: HonoContext): Context =>
    ({ requestId: c.req.header('x-request-id') ?? 'req-1', tenant, services: { metrics }, authorization: undefined, log: undefined }) as unknown as Context;
  const retryAfter = (errors: TRPCError[]) => {
    const retry = errors.map((e) => describeError(e).retryAfter).find((r) => r !== undefined);
    return retry === undefined ? undefined : { 'Retry-After': String(retry) };
  };
  const stockErrors: Call[] = [];
  const leanErrors: Call[] = [];
  const stockHandler = (errors: Call[]) =>
    trpcServer({
      router: testRouter,
      createContext: (_o, c) => context(c) as unknown as Record<string, unknown>,
      onError: ({ error, path }) => void errors.push({ error, path }),
      responseMeta: ({ errors }) => {
        const h = retryAfter(errors);
        return h ? { headers: new Headers(h) } : {};
      },
    });
  const stock = new Hono().use('/trpc/*', stockHandler(stockErrors));
  let fellThrough = 0;
  const lean = new Hono()
    .use(
      '/trpc/*',
      trpcMutations({
        router: testRouter,
        endpoint: '/trpc',
        createContext: context,
        onError: ({ error, path }) => void leanErrors.push({ error, path }),
        responseHeaders: retryAfter,
      }),
    )
    .use('/trpc/*', async (c, next) => {
      fellThrough++;
      return stockHandler(leanErrors)(c as never, next);
    });
  return { stockApp: stock, leanApp: lean, stockErrors, leanErrors, fellThrough: () => fellThrough };
}

async function both(url: string, init: RequestInit, tenant: string | null = 'app-1') {
  const a = apps(tenant);
  const [s, l] = [await a.stockApp.request(url, init), await a.leanApp.request(url, init)];
  const view = async (r: Response) => ({
    status: r.status,
    contentType: r.headers.get('content-type'),
    vary: r.headers.get('vary'),
    retryAfter: r.headers.get('retry-after'),
    body: await r.text(),
  });
  return { ...a, stock: await view(s), lean: await view(l) };
}

const post = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  body: typeof body === 'string' ? body : JSON.stringify(body),
});

describe('the lean tRPC mutation handler answers as tRPC does', () => {
  const cases: [name: string, url: string, init: RequestInit, tenant?: string | null][] = [
    ['a mutation with a superjson Date in and out', '/trpc/notes.create', post({ json: { text: 'hi', at: '2026-03-04T05:06:07.000Z' }, meta: { values: { at: ['Date'] } } })],
    ['a mutation with no input where one is optional', '/trpc/open', post('')],
    ['a mutation returning undefined', '/trpc/notes.nothing', post('')],
    ['a batch of two', '/trpc/notes.create,notes.create?batch=1', post({ 0: { json: { text: 'a' } }, 1: { json: { text: 'b' } } })],
    ['a mixed batch (207)', '/trpc/notes.create,notes.conflict?batch=1', post({ 0: { json: { text: 'a' } }, 1: { json: { id: 'n1' } } })],
    ['a batch with a missing input', '/trpc/notes.create,notes.create?batch=1', post({ 0: { json: { text: 'a' } } })],
    ['an input that fails validation', '/trpc/notes.create', post({ json: { text: '' } })],
    ['an error with Retry-After', '/trpc/notes.limited', post('')],
    ['an error with details', '/trpc/notes.conflict', post({ json: { id: 'n9' } })],
    ['an unexpected error (no message leaks)', '/trpc/notes.crash', post('')],
    ['a body that is not JSON', '/trpc/notes.create', post('{"json": {')],
    ['a batch body that is not an object', '/trpc/notes.create?batch=1', post('[1]')],
    ['text with a NUL byte', '/trpc/notes.create', post({ json: { text: 'a\u0000b' } })],
    ['a percent-encoded path', '/trpc/notes%2Ecreate', post({ json: { text: 'a' } })],
    ['a content type with parameters', '/trpc/notes.create', post({ json: { text: 'x' } }, { 'content-type': 'Application/JSON; charset=utf-8' })],
    ['a stream-like result', '/trpc/notes.streamy', post('')],
    ['a stream-like result in a batch', '/trpc/notes.create,notes.streamy?batch=1', post({ 0: { json: { text: 'a' } } })],
    ['a tenant procedure reached without a tenant', '/trpc/notes.create', post({ json: { text: 'x' } }), null],
    // These fall through to tRPC's handler.
    ['an unknown procedure', '/trpc/notes.nope', post('')],
    ['a query sent as POST', '/trpc/read', post('')],
    ['a batch mixing a query in', '/trpc/notes.create,read?batch=1', post({ 0: { json: { text: 'a' } } })],
    ['another content type', '/trpc/notes.create', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' }],
    ['a streamed batch (trpc-accept)', '/trpc/notes.create?batch=1', post({ 0: { json: { text: 'a' } } }, { 'trpc-accept': 'application/jsonl' })],
  ];

  it.each(cases)('%s', async (_name, url, init, tenant) => {
    const r = await both(url, init, tenant === undefined ? 'app-1' : tenant);
    expect(r.lean).toEqual(r.stock);
    expect(r.leanErrors.map((e) => [e.path, e.error.code, e.error.message])).toEqual(r.stockErrors.map((e) => [e.path, e.error.code, e.error.message]));
  });

  it('handles the writes itself and passes everything else on', async () => {
    const handled = await both('/trpc/notes.create,notes.create?batch=1', post({ 0: { json: { text: 'a' } }, 1: { json: { text: 'b' } } }));
    expect(handled.lean.status).toBe(200);
    expect(handled.fellThrough()).toBe(0);
    for (const [url, init] of [
      ['/trpc/read', { method: 'GET' }],
      ['/trpc/notes.create?batch=1&connectionParams=%7B%7D', post({ 0: { json: { text: 'a' } } })],
    ] as const) {
      const r = await both(url, init);
      expect(r.lean).toEqual(r.stock);
      expect(r.fellThrough()).toBe(1);
    }
  });
});
