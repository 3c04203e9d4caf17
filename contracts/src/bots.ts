import { z } from 'zod';
import { eventEnvelope } from './envelope.ts';
import { tenantToken } from './tenant.ts';

/** Longest `wait_ms` an execute call may ask for. */
export const MAX_WAIT_MS = 30_000;
export const DEFAULT_WAIT_MS = 10_000;

export const TaskId = z.uuid().meta({ description: 'Task id (UUID), the id of its bot.task.requested event.' });
const Timestamp = z.iso.datetime().meta({ description: 'ISO-8601 UTC time.' });

export const TaskStatus = z.enum(['pending', 'completed', 'failed']);
export type TaskStatus = z.infer<typeof TaskStatus>;

export const TaskError = z
  .object({ code: z.string(), message: z.string() })
  .meta({ id: 'TaskError', description: 'Why a task failed (never a stack trace).' });
export type TaskError = z.infer<typeof TaskError>;

export const BotExecuteInput = z.strictObject({
  task_type: z
    .string()
    .min(1)
    .max(64)
    .meta({ description: 'The handler to run: echo, template, http, ...', example: 'template' }),
  context: z
    .record(z.string(), z.unknown())
    .meta({ description: 'The task input, as the handler expects it.', example: { template: 'Hello {{name}}', values: { name: 'Ada' } } }),
  ttl_seconds: z.number().int().min(1).max(31_536_000).optional().meta({ description: 'How long the output is kept (default and maximum: the server limit).' }),
  wait_ms: z.number().int().min(0).max(MAX_WAIT_MS).optional().meta({ description: `How long to wait for the outcome (default ${DEFAULT_WAIT_MS}).` }),
  notify_registration_id: z.string().min(1).max(128).optional().meta({ description: 'An iOS registration to push the outcome to.' }),
});
export type BotExecuteInput = z.infer<typeof BotExecuteInput>;

export const BotTask = z
  .object({
    task_id: TaskId,
    task_type: z.string(),
    status: TaskStatus,
    output: z.unknown().optional(),
    error: TaskError.optional(),
    created_at: Timestamp,
    expires_at: Timestamp,
  })
  .meta({ id: 'BotTask' });
export type BotTask = z.infer<typeof BotTask>;

export const BotTaskIdInput = z.strictObject({ task_id: TaskId });
export const BotListInput = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(200).optional(),
});
export const BotTaskList = z.object({ items: z.array(BotTask), next_cursor: z.string().nullable() });
export type BotTaskList = z.infer<typeof BotTaskList>;

/** One update of the live feed: the task as it is now. */
export const BotUpdate = BotTask;

export const BotTaskRequestedEvent = eventEnvelope(
  'bot.task.requested',
  1,
  z.object({
    task_id: z.uuid(),
    task_type: z.string(),
    context: z.record(z.string(), z.unknown()),
    expires_at: z.iso.datetime(),
    notify_registration_id: z.string().optional(),
  }),
);
export const BotOutputCreatedEvent = eventEnvelope(
  'bot.output.created',
  1,
  z.object({ task_id: z.uuid(), task_type: z.string(), output: z.unknown(), created_at: z.iso.datetime(), expires_at: z.iso.datetime() }),
);
export const BotTaskFailedEvent = eventEnvelope(
  'bot.task.failed',
  1,
  z.object({ task_id: z.uuid(), task_type: z.string(), error: TaskError, created_at: z.iso.datetime(), expires_at: z.iso.datetime() }),
);
export type BotTaskRequestedEvent = z.infer<typeof BotTaskRequestedEvent>;
export type BotOutputCreatedEvent = z.infer<typeof BotOutputCreatedEvent>;
export type BotTaskFailedEvent = z.infer<typeof BotTaskFailedEvent>;
export type BotEvent = BotTaskRequestedEvent | BotOutputCreatedEvent | BotTaskFailedEvent;

/** Subject of one event of a task: `bots.<tenant token>.<task id>.<requested|completed|failed>`. */
export const botSubject = (appId: string, taskId: string, what: 'requested' | 'completed' | 'failed') =>
  `bots.${tenantToken(appId)}.${taskId}.${what}`;
/** Every event of one task. */
export const botTaskFilter = (appId: string, taskId: string) => `bots.${tenantToken(appId)}.${taskId}.*`;
/** Every task event of one tenant. */
export const tenantBotsFilter = (appId: string) => `bots.${tenantToken(appId)}.*.*`;
/** Every task request of every tenant (what workers consume). */
export const BOT_REQUESTS_FILTER = 'bots.*.*.requested';
