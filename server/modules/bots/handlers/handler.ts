import type { z } from 'zod';

/** What a handler knows about the task it runs. */
export interface HandlerContext {
  taskId: string;
  tenant: string;
  /** Aborts at the handler timeout: stop work and throw. */
  signal: AbortSignal;
}

/** A bot: validates its task's context, then turns it into an output. */
export interface BotHandler<C = unknown> {
  name: string;
  /** Checked at the edge (400 when it fails) and again in the worker. */
  context: z.ZodType<C>;
  /** A minimal context that fits: shown in the 400 for one that does not. */
  example: C;
  run(context: C, ctx: HandlerContext): Promise<unknown>;
}

/** A failure worth retrying (a timeout upstream, a 5xx, a dropped connection). */
export class TransientError extends Error {
  override name = 'TransientError';
}

/** A failure that ends the task: its code and message are shown to the client. */
export class TaskFailure extends Error {
  override name = 'TaskFailure';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}
