// Logs carry no content: every value the suite's tests sent under a field that may hold an
// app's content or a person's data (bodies, subjects, recipients, tokens, keys, contexts), and
// every bearer credential, is looked for in every line every service of the suite logged,
// at debug level. Runs last, over what the suite left in the audit directory.
import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { auditDir } from './support/log-audit.ts';
import { loadConfig } from '../server/platform/config.ts';
import { botHandlers } from '../server/modules/bots/index.ts';
import type { Services } from '../server/trpc/context.ts';

/**
 * What the service itself publishes: the bots' example contexts, which a 400 shows (and its
 * access line names) and which tests then send as given. Not an app's content.
 */
function publishedExamples(): Set<string> {
  const out = new Set<string>();
  const walk = (v: unknown): void => {
    if (typeof v === 'string') out.add(v);
    else if (v !== null && typeof v === 'object') Object.values(v).forEach(walk);
  };
  const tenants = { onChange: () => () => undefined }; // the http bot's circuits follow app removals
  const handlers = botHandlers({ config: loadConfig({}), secretKey: new Uint8Array(32), tenants } as unknown as Services);
  for (const h of handlers.values()) walk(h.example);
  return out;
}

const dir = auditDir();
const files = dir && existsSync(dir) ? readdirSync(dir) : [];
const sentFiles = files.filter((f) => f.startsWith('sent-'));
const logFiles = files.filter((f) => !f.startsWith('sent-'));

/** Finds which of `needles` occur in `text`: candidates by their first characters, then compared whole. */
function occurrences(text: string, needles: Set<string>, prefix = 8): Map<string, number> {
  const byPrefix = new Map<string, string[]>();
  for (const n of needles) byPrefix.set(n.slice(0, prefix), [...(byPrefix.get(n.slice(0, prefix)) ?? []), n]);
  const found = new Map<string, number>();
  for (let i = 0; i + prefix <= text.length; i++) {
    const candidates = byPrefix.get(text.slice(i, i + prefix));
    if (!candidates) continue;
    for (const n of candidates) if (!found.has(n) && text.startsWith(n, i)) found.set(n, i);
  }
  return found;
}

describe('the log audit', () => {
  it.skipIf(sentFiles.length === 0)('finds none of the values tests sent in any line a service logged', () => {
    const sent = new Set<string>();
    for (const f of sentFiles) for (const line of readFileSync(join(dir!, f), 'utf8').split('\n')) if (line) sent.add(JSON.parse(line) as string);
    for (const example of publishedExamples()) sent.delete(example);
    // Values are looked for as they are and as JSON writes them inside a string (a log line is JSON).
    const needles = new Set([...sent].flatMap((v) => [v, JSON.stringify(v).slice(1, -1)]));
    let lines = 0;
    const leaks: string[] = [];
    for (const f of logFiles) {
      const text = readFileSync(join(dir!, f), 'utf8');
      lines += text.split('\n').length;
      for (const [value, at] of occurrences(text, needles)) {
        const start = text.lastIndexOf('\n', at) + 1;
        leaks.push(`${f}: ${JSON.stringify(value).slice(0, 80)} in ${text.slice(start, start + 300)}`);
      }
    }
    console.log(`log audit: ${sent.size} sent values, ${lines} log lines in ${logFiles.length} files`);
    expect(lines).toBeGreaterThan(1_000);
    expect(leaks).toEqual([]);
  });
});
