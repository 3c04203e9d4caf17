import { loadConfig } from '../../server/config.ts';
import { createLogger } from '../../server/logger.ts';
import { startMayfly, type Mayfly } from '../../server/runtime.ts';

/** Starts Mayfly in-process against a test broker and database. */
export async function startTestMayfly(env: Record<string, string>, opts: { leaseTtlMs?: number } = {}): Promise<Mayfly> {
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent', ...env });
  return startMayfly(config, { log: createLogger(config.LOG_LEVEL), leaseTtlMs: opts.leaseTtlMs ?? 3_000 });
}

/** JSON request helper for `app.request`. */
export function jsonRequest(method: string, body: unknown, headers: Record<string, string> = {}): RequestInit {
  return {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  };
}
