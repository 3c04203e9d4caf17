// The baseline every write-path figure is divided by: stock Hono + @hono/trpc-server + tRPC +
// superjson, one mutation with a zod input and no I/O. Prints its port once listening.
import { serve } from '@hono/node-server';
import { trpcServer } from '@hono/trpc-server';
import { initTRPC } from '@trpc/server';
import { Hono } from 'hono';
import superjson from 'superjson';
import { z } from 'zod';

const t = initTRPC.create({ transformer: superjson });
const router = t.router({
  create: t.procedure
    .input(z.object({ content: z.string().max(262_144), ttl_seconds: z.number().int().positive().optional() }))
    .mutation(({ input }) => ({ id: crypto.randomUUID(), content: input.content, created_at: new Date().toISOString() })),
});
const app = new Hono();
app.use('/trpc/*', trpcServer({ router }));
serve({ fetch: app.fetch, port: Number(process.env.PORT ?? 0), hostname: '127.0.0.1' }, (info) => console.log(`baseline listening on :${info.port}`));
