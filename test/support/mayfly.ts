import { loadConfig } from '../../server/platform/config.ts';
import { createLogger, type Logger } from '../../server/platform/logger.ts';
import { startMayfly, type Mayfly } from '../../server/runtime/start.ts';
import { auditLogDestination, recordSent } from './log-audit.ts';

/** Starts Mayfly in-process against a test broker and database. */
export async function startTestMayfly(
  env: Record<string, string>,
  opts: { leaseTtlMs?: number; log?: Logger; now?: () => Date } = {},
): Promise<Mayfly> {
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    // A fixed test secret: nothing is written into the working directory's DATA_DIR.
    SECRET_KEY: 'test-secret-key-of-at-least-32-characters',
    // Suites send far more than the production defaults allow; the rate-limit suite sets its own.
    RATE_LIMITS: JSON.stringify({ '*': '1000000/min', health: '1000000/min', 'bots.execute': '1000000/min' }),
    // Suites that send many bad requests on purpose are not held up; the pacing's own tests turn it on.
    REFUSAL_DELAY_MS: '0',
    ...env,
  });
  // Under the log audit a service logs everything (debug) into the audit's file.
  const audit = auditLogDestination();
  return startMayfly(config, {
    log: opts.log ?? (audit ? createLogger('debug', audit) : createLogger(config.LOG_LEVEL)),
    leaseTtlMs: opts.leaseTtlMs ?? 3_000,
    ...(opts.now ? { now: opts.now } : {}),
  });
}

/** A logger whose JSON lines are kept in memory, to assert on what is (not) logged. */
export function capturingLogger(): { log: Logger; lines: () => Record<string, unknown>[]; text: () => string } {
  const chunks: string[] = [];
  const audit = auditLogDestination();
  const log = createLogger('debug', {
    write: (s: string) => {
      chunks.push(s);
      audit?.write(s);
    },
  });
  return {
    log,
    lines: () => chunks.flatMap((c) => c.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>)),
    text: () => chunks.join(''),
  };
}

/** JSON request helper for `app.request` (what it sends is written down for the log audit). */
export function jsonRequest(method: string, body: unknown, headers: Record<string, string> = {}): RequestInit {
  recordSent(body, headers);
  return {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  };
}
