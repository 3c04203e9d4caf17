// The REST bridge, built once, must answer exactly as trpc-to-openapi's own fetch handler
// (which rebuilds its handler for every request): every request below goes through both, and
// status, content type and body must be identical, and so must the error each call ended in.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { TRPCError } from '@trpc/server';
import { createOpenApiFetchHandler } from 'trpc-to-openapi';
import { MayflyError } from '../platform/errors.ts';
import type { Context } from '../trpc/context.ts';
import { router, tenantProcedure } from '../trpc/trpc.ts';
import { createRestBridge } from './rest-bridge.ts';

const Note = z.object({ id: z.string(), text: z.string() });
const testRouter = router({
  notes: router({
    get: tenantProcedure
      .meta({ openapi: { method: 'GET', path: '/notes/{id}' } })
      .input(z.object({ id: z.string().min(2) }))
      .output(Note)
      .query(({ input }) => {
        if (input.id === 'gone') throw new MayflyError('NOT_FOUND', 'note not found');
        return { id: input.id, text: 'hello' };
      }),
    list: tenantProcedure
      .meta({ openapi: { method: 'GET', path: '/notes' } })
      .input(z.object({ limit: z.coerce.number().int().min(1).max(5).default(2) }))
      .output(z.object({ items: z.array(Note) }))
      .query(({ input }) => ({ items: Array.from({ length: input.limit }, (_, i) => ({ id: `n${i}`, text: 't' })) })),
    create: tenantProcedure
      .meta({ openapi: { method: 'POST', path: '/notes' } })
      .input(z.object({ text: z.string().min(1) }))
      .output(Note)
      .mutation(({ input }) => ({ id: 'n1', text: input.text })),
    remove: tenantProcedure
      .meta({ openapi: { method: 'DELETE', path: '/notes/{id}' } })
      .input(z.object({ id: z.string() }))
      .output(z.object({ deleted: z.literal(true) }))
      .mutation(() => ({ deleted: true as const })),
    crash: tenantProcedure
      .meta({ openapi: { method: 'POST', path: '/crash' } })
      .input(z.object({}))
      .output(z.object({}))
      .mutation(() => {
        throw new Error('secret internals');
      }),
  }),
});

const ctx = { requestId: 'r', tenant: 'app', services: {}, authorization: undefined, log: undefined } as unknown as Context;
const bridge = createRestBridge(testRouter);

async function both(path: string, init: RequestInit = {}) {
  const stockErrors: TRPCError[] = [];
  const stock = await createOpenApiFetchHandler({
    endpoint: '/api',
    req: new Request(`http://localhost/api${path}`, init),
    router: testRouter,
    createContext: () => ctx,
    onError: ({ error }) => void stockErrors.push(error),
  });
  const raw = new Request(`http://localhost/api${path}`, init);
  const call: { context: Context; error?: TRPCError; successStatus: number } = { context: ctx, successStatus: 200 };
  const ours = await bridge(raw, path, () => raw.clone().text(), call);
  const view = async (r: Response) => ({ status: r.status, contentType: r.headers.get('content-type'), body: await r.text() });
  return { stock: await view(stock), ours: await view(ours), stockError: stockErrors[0]?.code, ourError: call.error?.code };
}

const json = (method: string, body: string): RequestInit => ({ method, headers: { 'content-type': 'application/json' }, body });

describe('the REST bridge answers as trpc-to-openapi does', () => {
  const cases: [string, string, RequestInit?][] = [
    ['a GET with a path parameter', '/notes/abc'],
    ['a GET whose input fails validation', '/notes/a'],
    ['a GET that throws a Mayfly error', '/notes/gone'],
    ['a GET with a query string coerced to a number', '/notes?limit=3'],
    ['a GET with a query value out of range', '/notes?limit=9'],
    ['a POST with a JSON body', '/notes', json('POST', '{"text":"hi"}')],
    ['a POST whose body fails validation', '/notes', json('POST', '{"text":""}')],
    ['a POST whose body is not JSON', '/notes', json('POST', '{"text":')],
    ['a DELETE with a path parameter', '/notes/abc', { method: 'DELETE' }],
    ['a procedure that crashes', '/crash', json('POST', '{}')],
    ['an unknown path', '/nowhere'],
    ['a known path with another method', '/notes/abc', { method: 'PUT' }],
  ];

  it.each(cases)('%s', async (_name, path, init) => {
    const r = await both(path, init);
    expect(r.ours).toEqual(r.stock);
    expect(r.ourError).toEqual(r.stockError);
  });
});
