import { tracked } from '@trpc/server';
import { DeliverPolicy } from '@nats-io/jetstream';
import { z } from 'zod';
import {
  BotExecuteInput,
  BotListInput,
  BotTask,
  BotTaskIdInput,
  BotTaskList,
  DEFAULT_WAIT_MS,
  STREAMS,
  botSubject,
  botTaskFilter,
  tenantBotsFilter,
} from '@mayfly/contracts';
import type { Services } from '../../trpc/context.ts';
import { invalidInput, notFound } from '../../platform/errors.ts';
import { zodDetails } from '../../trpc/errors.ts';
import { newEvent } from '../../platform/events/publisher.ts';
import { newId, withIdSeed } from '../../platform/events/ids.ts';
import { router, tenantProcedure } from '../../trpc/trpc.ts';
import { botOutputsProjection } from './projection/index.ts';
import { taskFromEvent } from './task-view.ts';
import { findTask, listTasks } from './projection/queries.ts';
import { checkNotifyTarget } from './notify.ts';
import { botHandlers } from './handlers/registry.ts';
import { outcomeWaiters } from './outcomes.ts';
import { decodeEvent } from '../../platform/events/decode.ts';

const tags = ['bots'];

/** A live task of `tenant` once the projection holds everything written to it, or null. */
async function readTask(s: Services, tenant: string, taskId: string): Promise<BotTask | null> {
  const seq = await s.consistency.settle(botOutputsProjection.name, 'BOTS', botTaskFilter(tenant, taskId));
  return seq === 0 ? null : findTask(s.db, tenant, taskId, s.now());
}

/** The bots router: execute a task, read it back, follow a tenant's tasks live. */
export const botsRouter = router({
    execute: tenantProcedure
      .meta({ openapi: { method: 'POST', path: '/bots/execute', tags, summary: 'Run a bot task, waiting up to wait_ms for its outcome', protect: false } })
      .input(BotExecuteInput)
      .output(BotTask)
      .mutation(async ({ ctx, input }) => {
        const s = ctx.services;
        const handlers = botHandlers(s);
        const handler = handlers.get(input.task_type);
        if (!handler) {
          const known = [...handlers.keys()].sort().join(', ');
          throw invalidInput(`unknown task_type "${input.task_type}"; known: ${known}`, [
            { path: 'task_type', message: `must be one of ${known}`, code: 'invalid_value' },
          ]);
        }
        const context = handler.context.safeParse(input.context);
        if (!context.success) {
          const example = JSON.stringify({ task_type: handler.name, context: handler.example });
          throw invalidInput(
            `context does not fit the ${handler.name} task; a minimal valid body: ${example}`,
            zodDetails(context.error).map((d) => ({ ...d, path: d.path ? `context.${d.path}` : 'context' })),
          );
        }
        if (input.notify_registration_id !== undefined) await checkNotifyTarget(s, ctx.tenant, input.notify_registration_id);
        const max = s.config.BOT_OUTPUT_TTL_SECONDS;
        const ttl = input.ttl_seconds ?? max;
        if (ttl > max) throw invalidInput(`ttl_seconds must be at most ${max}`, [{ path: 'ttl_seconds', message: `must be at most ${max}`, code: 'too_big' }]);
        const now = s.now();
        const taskId = newId();
        const expiresAt = new Date(now.getTime() + ttl * 1000).toISOString();
        // What BOTS keeps of the context: itself, or the reference a handler keeps instead. Ids
        // made here are derived from the task, as the worker's are: a retried request queues nothing twice.
        const keep = handler.keep?.bind(handler);
        const kept = keep ? ((await withIdSeed(`bot:${taskId}`, () => keep(context.data, { taskId, tenant: ctx.tenant }))).value as Record<string, unknown>) : input.context;
        const requested = newEvent(
          'bot.task.requested',
          ctx.tenant,
          {
            task_id: taskId,
            task_type: input.task_type,
            context: kept,
            expires_at: expiresAt,
            ...(input.notify_registration_id ? { notify_registration_id: input.notify_registration_id } : {}),
          },
          now,
          taskId,
        );
        let stored = requested;
        const done = await outcomeWaiters(s).wait(ctx.tenant, taskId, input.wait_ms ?? DEFAULT_WAIT_MS, async () => {
          stored = await s.events.publishOnce(requested, botSubject(ctx.tenant, taskId, 'requested'), { ttlSeconds: ttl });
          // A retry's task may have finished long ago: it is read, not waited for.
          return stored === requested;
        });
        if (done) return done;
        if (stored !== requested) return (await readTask(s, ctx.tenant, taskId)) ?? taskFromEvent(stored)!;
        return taskFromEvent(stored)!;
      }),

    get: tenantProcedure
      .meta({ openapi: { method: 'GET', path: '/bots/tasks/{task_id}', tags, summary: 'A task and, once done, its output or error', protect: false } })
      .input(BotTaskIdInput)
      .output(BotTask)
      .query(async ({ ctx, input }) => {
        const task = await readTask(ctx.services, ctx.tenant, input.task_id);
        if (!task) throw notFound('task');
        return task;
      }),

    list: tenantProcedure
      .meta({ openapi: { method: 'GET', path: '/bots/tasks', tags, summary: 'Live tasks, newest first', protect: false } })
      .input(BotListInput)
      .output(BotTaskList)
      .query(async ({ ctx, input }) => {
        const s = ctx.services;
        await s.consistency.settle(botOutputsProjection.name, 'BOTS', tenantBotsFilter(ctx.tenant));
        return listTasks(s.db, ctx.tenant, input, s.now());
      }),

    /**
     * The tenant's task updates as they happen (SSE). Each carries its stream sequence as the
     * event id, so a client that reconnects with Last-Event-ID resumes where it left off.
     */
    onUpdate: tenantProcedure.input(z.strictObject({ lastEventId: z.string().regex(/^\d{1,16}$/).nullish() }).optional()).subscription(async ({ ctx, input, signal }) => {
      const s = ctx.services;
      const after = input?.lastEventId ? Number(input.lastEventId) : undefined;
      return (async function* () {
        const consumer = await s.broker.js.consumers.get(STREAMS.BOTS.name, {
          filter_subjects: tenantBotsFilter(ctx.tenant),
          ...(after === undefined ? { deliver_policy: DeliverPolicy.New } : { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: after + 1 }),
        });
        const messages = await consumer.consume();
        // Ends when the client leaves, and when the edge ends the stream (the app's key changed).
        const stop = () => void messages.stop();
        signal?.addEventListener('abort', stop, { once: true });
        if (signal?.aborted) stop();
        try {
          for await (const m of messages) {
            const event = decodeEvent(m.data);
            const task = event?.tenant === ctx.tenant ? taskFromEvent(event, m.seq) : null;
            if (task && Date.parse(task.expires_at) > s.now().getTime()) yield tracked(String(m.seq), task);
          }
        } finally {
          signal?.removeEventListener('abort', stop);
          await messages.close().catch(() => undefined);
          // The client has gone: its consumer goes too, not minutes later.
          const { name } = await consumer.info(true).catch(() => ({ name: undefined }));
          if (name) await s.broker.jsm.consumers.delete(STREAMS.BOTS.name, name).catch(() => undefined);
        }
      })();
    }),
});
