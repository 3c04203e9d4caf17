// npm run bench            runs every benchmark
// npm run bench -- <name>  runs one (e.g. reconcile), extra flags passed on
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';

const available = readdirSync(new URL('.', import.meta.url))
  .filter((f) => f.endsWith('.ts') && !['run.ts', 'lib.ts', 'harness.ts'].includes(f))
  .map((f) => f.replace(/\.ts$/, ''));
const [name, ...rest] = process.argv.slice(2);
if (name && !available.includes(name)) {
  console.error(`unknown benchmark "${name}"; available: ${available.join(', ')}`);
  process.exit(2);
}
for (const bench of name ? [name] : available) {
  console.log(`\n== ${bench} ==`);
  const r = spawnSync('node', ['--import', 'tsx', `bench/${bench}.ts`, ...rest], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
