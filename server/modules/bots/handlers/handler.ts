import type { z } from 'zod';

/** What a handler knows about the task it runs. */
export interface HandlerContext {
  taskId: string;
  tenant: string;
  /** Aborts at the handler timeout: stop work and throw. */
  signal: AbortSignal;
}

/** What `keep` knows: the task it is for. */
export interface KeepContext {
  taskId: string;
  tenant: string;
}

/**
 * A bot: validates its task's context, then turns it into an output. The context rests in
 * BOTS as long as the task's outcome (its TTL), like the output made from it. A handler whose
 * context holds personal data needed for less long (an e-mail's recipient, subject and body)
 * declares `keep`: it runs at the edge before the task is published, hands that data to where
 * it belongs, and answers what BOTS keeps instead (a reference, checked in the worker against
 * `kept`); `run` then gets the reference.
 */
export interface BotHandler<C = unknown, K = C> {
  name: string;
  /** Checked at the edge (400 when it fails), and in the worker unless the handler keeps something else. */
  context: z.ZodType<C>;
  /** A minimal context that fits: shown in the 400 for one that does not. */
  example: C;
  keep?(context: C, ctx: KeepContext): Promise<K>;
  /** The shape of what `keep` answers, checked in the worker. */
  kept?: z.ZodType<K>;
  run(context: K, ctx: HandlerContext): Promise<unknown>;
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
