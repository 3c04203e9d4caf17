import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './process.ts';

/** Runs once before the suite: a fresh log-audit directory, named to every worker through the environment. */
export default function setup(): void {
  const dir = join(ROOT, 'test-results', 'log-audit');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  process.env.MAYFLY_LOG_AUDIT_DIR = dir;
}
