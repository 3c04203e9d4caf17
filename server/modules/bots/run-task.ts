import { ExponentialBackoff, handleType, retry, TaskCancelledError, timeout, TimeoutStrategy, wrap } from 'cockatiel';
import type { TaskError } from '@mayfly/contracts';
import { findValueProblem } from '../../platform/values.ts';
import type { BotHandler, HandlerContext } from './handlers/handler.ts';
import { TaskFailure, TransientError } from './handlers/handler.ts';

export type Outcome = { ok: true; output: unknown } | { ok: false; error: TaskError };

export interface RunLimits {
  timeoutMs: number;
  attempts: number;
  /** The first retry's delay; each next one doubles it. */
  backoffMs: number;
}

/** Short, single-line, bounded: what a client may see of an unexpected handler error. */
function safeMessage(err: unknown): string {
  const text = err instanceof Error ? err.message : 'the handler failed';
  return (text.split('\n')[0] ?? '').slice(0, 200) || 'the handler failed';
}

/**
 * Runs a handler with a time limit per attempt (its signal aborts, and the attempt is
 * abandoned if the handler ignores it), retrying transient failures with exponential backoff
 * up to `attempts`. Always resolves to an outcome; never leaks a stack. `stop` ends it early.
 */
export async function runTask(
  handler: BotHandler,
  rawContext: unknown,
  ctx: Omit<HandlerContext, 'signal'>,
  limits: RunLimits,
  stop?: AbortSignal,
): Promise<Outcome> {
  const parsed = handler.context.safeParse(rawContext);
  if (!parsed.success) return { ok: false, error: { code: 'INVALID_CONTEXT', message: 'the task context does not fit its handler' } };
  const policy = wrap(
    retry(handleType(TransientError), {
      maxAttempts: limits.attempts - 1,
      backoff: new ExponentialBackoff({ initialDelay: limits.backoffMs, maxDelay: 30_000, exponent: 2 }),
    }),
    timeout(limits.timeoutMs, TimeoutStrategy.Aggressive),
  );
  try {
    const output = await policy.execute(({ signal }) => handler.run(parsed.data, { ...ctx, signal }), stop);
    // An output goes to the broker, a projection and clients: it passes the checks input does.
    const problem = findValueProblem(output, 'output');
    if (problem) return { ok: false, error: { code: 'INVALID_OUTPUT', message: `the handler's output ${problem.message} (at ${problem.path})` } };
    return { ok: true, output };
  } catch (err) {
    if (err instanceof TaskCancelledError && !stop?.aborted) {
      return { ok: false, error: { code: 'TIMEOUT', message: `the handler did not finish within ${limits.timeoutMs} ms` } };
    }
    if (err instanceof TaskFailure) return { ok: false, error: { code: err.code, message: err.message.slice(0, 500) } };
    const code = err instanceof TransientError ? 'RETRIES_EXHAUSTED' : 'HANDLER_ERROR';
    return { ok: false, error: { code, message: safeMessage(err) } };
  }
}
