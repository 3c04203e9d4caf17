// The log audit: every service the tests run logs at debug level into a file of the audit
// directory as well, and every value a test sends under a field that may carry content or
// personal data is written down; the last test of the suite (test/log-audit.last.test.ts)
// looks for each of those values in every log line. The global setup picks the directory.
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';

/** The audit directory of this run, or undefined outside a suite run with the global setup. */
export const auditDir = (): string | undefined => process.env.MAYFLY_LOG_AUDIT_DIR;

/** Fields whose values are the app's content or a person's data: none of it may reach a log. */
const SENSITIVE = new Set([
  'content',
  'to',
  'subject',
  'text',
  'html',
  'token',
  'payload',
  'session_id',
  'signed_transaction',
  'context',
  'dynamic_data',
  'values',
  'template',
  'alert',
  'data',
  'key',
]);
/** Shorter values would match by chance (`signup`, `hello`). */
const MIN_LENGTH = 8;

function leaves(v: unknown, out: string[]): void {
  if (typeof v === 'string') out.push(v);
  else if (Array.isArray(v)) for (const x of v) leaves(x, out);
  else if (v !== null && typeof v === 'object') for (const x of Object.values(v)) leaves(x, out);
}

function sensitiveValues(v: unknown, out: string[]): void {
  if (Array.isArray(v)) for (const x of v) sensitiveValues(x, out);
  else if (v !== null && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) (SENSITIVE.has(k) ? leaves : sensitiveValues)(x, out);
  }
}

/** Writes down what a request sends that must never be logged: sensitive fields of its JSON body, and its bearer credential. */
export function recordSent(body: unknown, headers: Record<string, string>): void {
  const dir = auditDir();
  if (!dir) return;
  const values: string[] = [];
  let parsed = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body) as unknown;
    } catch {
      parsed = undefined;
    }
  }
  sensitiveValues(parsed, values);
  const auth = Object.entries(headers).find(([k]) => k.toLowerCase() === 'authorization')?.[1];
  if (auth?.startsWith('Bearer ')) values.push(auth.slice('Bearer '.length));
  const appId = Object.entries(headers).find(([k]) => k.toLowerCase() === 'x-app-id')?.[1];
  const kept = values.filter((v) => v.length >= MIN_LENGTH && v !== appId);
  if (kept.length > 0) appendFileSync(join(dir, `sent-${process.pid}.jsonl`), kept.map((v) => `${JSON.stringify(v)}\n`).join(''));
}

/** A log destination writing each line into this process's service log of the audit, or undefined. */
export function auditLogDestination(): { write(line: string): void } | undefined {
  const dir = auditDir();
  if (!dir) return undefined;
  const file = join(dir, `service-${process.pid}.jsonl`);
  return { write: (line: string) => appendFileSync(file, line) };
}

/** Keeps what a spawned service printed, for the audit. */
export function keepOutput(name: string, output: string): void {
  const dir = auditDir();
  if (dir && output) appendFileSync(join(dir, `process-${process.pid}-${name}.log`), output);
}
