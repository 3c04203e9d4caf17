import type { TaskError } from '@mayfly/contracts';
import type { BotHandler, HandlerContext } from './handlers/handler.ts';
import { TaskFailure, TransientError } from './handlers/handler.ts';

export type Outcome = { ok: true; output: unknown } | { ok: false; error: TaskError };

export interface RunLimits {
  timeoutMs: number;
  attempts: number;
  /** Delay before retry n (1-based). */
  backoffMs: (retry: number) => number;
}

/** Short, single-line, bounded: what a client may see of an unexpected handler error. */
function safeMessage(err: unknown): string {
  const text = err instanceof Error ? err.message : 'the handler failed';
  return (text.split('\n')[0] ?? '').slice(0, 200) || 'the handler failed';
}

/**
 * Runs a handler with a timeout per attempt, retrying transient failures with backoff up to
 * `attempts`. Always resolves to an outcome; never leaks a stack.
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
  for (let attempt = 1; ; attempt++) {
    // A plain timer and controller, not AbortSignal.any(AbortSignal.timeout(...)): on Node 20 a
    // timeout signal held only by an `any` can be garbage-collected before it fires.
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new Error(`timed out after ${limits.timeoutMs} ms`));
    }, limits.timeoutMs);
    const onStop = () => controller.abort(stop?.reason);
    if (stop?.aborted) onStop();
    else stop?.addEventListener('abort', onStop, { once: true });
    const signal = controller.signal;
    try {
      const output = await raceAbort(handler.run(parsed.data, { ...ctx, signal }), signal);
      return { ok: true, output };
    } catch (err) {
      if (timedOut) {
        return { ok: false, error: { code: 'TIMEOUT', message: `the handler did not finish within ${limits.timeoutMs} ms` } };
      }
      if (err instanceof TaskFailure) return { ok: false, error: { code: err.code, message: err.message.slice(0, 500) } };
      if (err instanceof TransientError && attempt < limits.attempts) {
        await new Promise((r) => setTimeout(r, limits.backoffMs(attempt)));
        continue;
      }
      const code = err instanceof TransientError ? 'RETRIES_EXHAUSTED' : 'HANDLER_ERROR';
      return { ok: false, error: { code, message: safeMessage(err) } };
    } finally {
      clearTimeout(timer);
      stop?.removeEventListener('abort', onStop);
    }
  }
}

/** Settles with `work`, or rejects when `signal` aborts first (a handler that ignores its signal). */
function raceAbort<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const aborted = () => reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    if (signal.aborted) return aborted();
    const onAbort = aborted;
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
