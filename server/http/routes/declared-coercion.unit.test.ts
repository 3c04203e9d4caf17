import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createRestBridge } from '../../fast-paths/rest-bridge.ts';
import type { Context } from '../../trpc/context.ts';
import { createCallerFactory, router, tenantProcedure } from '../../trpc/trpc.ts';
import { keepDeclaredCoercion } from './declared-coercion.ts';
import { createMetrics } from '../../platform/metrics.ts';

const testRouter = router({
  save: tenantProcedure
    .meta({ openapi: { method: 'POST', path: '/save' } })
    .input(z.strictObject({ ttl_seconds: z.number().int().optional(), nested: z.strictObject({ n: z.number() }).optional(), on: z.boolean().optional() }))
    .output(z.object({ ttl_seconds: z.number().optional() }))
    .mutation(({ input }) => ({ ttl_seconds: input.ttl_seconds })),
  list: tenantProcedure
    .meta({ openapi: { method: 'GET', path: '/list' } })
    .input(z.strictObject({ limit: z.coerce.number().int().default(20) }))
    .output(z.object({ limit: z.number() }))
    .query(({ input }) => ({ limit: input.limit })),
});

const ctx = { requestId: 'r', tenant: 'app', services: { metrics: createMetrics() }, authorization: undefined, log: undefined } as unknown as Context;

async function rest(bridge: ReturnType<typeof createRestBridge>, method: string, path: string, body?: unknown) {
  const init: RequestInit = body === undefined ? { method } : { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
  const raw = new Request(`http://localhost/api${path}`, init);
  const res = await bridge(raw, path, () => raw.clone().text(), { context: ctx, successStatus: 200 });
  return { status: res.status, body: (await res.json()) as unknown };
}

describe('input coercion as the schema declares it', () => {
  it('keeps numbers and booleans strict in JSON bodies on REST, and on tRPC after REST calls', async () => {
    keepDeclaredCoercion(testRouter);
    const bridge = createRestBridge(testRouter);
    expect((await rest(bridge, 'POST', '/save', { ttl_seconds: 60 })).status).toBe(200);
    for (const body of [{ ttl_seconds: '60' }, { nested: { n: '1' } }, { on: 'true' }]) {
      expect((await rest(bridge, 'POST', '/save', body)).status).toBe(400);
    }
    const caller = createCallerFactory(testRouter)(ctx);
    await expect(caller.save({ ttl_seconds: '60' as unknown as number })).rejects.toThrow();
    expect(await caller.save({ ttl_seconds: 60 })).toEqual({ ttl_seconds: 60 });
  });

  it('still coerces query strings where the schema says z.coerce', async () => {
    keepDeclaredCoercion(testRouter);
    const bridge = createRestBridge(testRouter);
    expect(await rest(bridge, 'GET', '/list?limit=5')).toEqual({ status: 200, body: { limit: 5 } });
    expect((await rest(bridge, 'GET', '/list?limit=five')).status).toBe(400);
  });
});
