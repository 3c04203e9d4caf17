// Whether the embedded projector keeps up with the write path at its peak: 15 s of drafts.create
// (50 connections, the service on core 0 as in write-path), then how many acknowledged writes
// the drafts projection's checkpoint had not reached when the load stopped, and how long it took
// to reach them all (from /metrics). Not part of `npm run bench`: run it by hand.
//
//   node --import tsx bench/ab/projection-catch-up.ts [--tree <another checkout>] [--seconds 15]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { UNLIMITED, pinSelfToLoadCore, startServer } from '../harness.ts';

const { values } = parseArgs({ options: { tree: { type: 'string', default: '.' }, seconds: { type: 'string', default: '15' } } });
const SECONDS = Number(values.seconds);
pinSelfToLoadCore();
const dataDir = mkdtempSync(join(tmpdir(), 'mayfly-catch-up-'));
const s = await startServer(['node', 'scripts/start.mjs', 'server/main.ts'], { DATA_DIR: dataDir, NODE_ENV: 'production', SECRET_KEY: 'b'.repeat(32), TENANCY: 'open', RATE_LIMITS: UNLIMITED }, { cwd: values.tree });
const body = JSON.stringify({ json: { content: 'Dear team, the quarterly numbers are in.', ttl_seconds: 3600 } });
const r = await autocannon({ url: `${s.url}/trpc/drafts.create`, method: 'POST', body, headers: { 'content-type': 'application/json', 'X-App-ID': 'catch-up' }, connections: 50, duration: SECONDS });
const acked = r['2xx'];
const ended = performance.now();
const checkpoint = async () => {
  const metrics = await (await fetch(`${s.url}/metrics`)).text();
  const line = metrics.split('\n').find((l) => l.startsWith('mayfly_projection_checkpoint_sequence{') && l.includes('projection="drafts"'));
  return Number(line?.split(' ').pop() ?? 0);
};
const atEnd = await checkpoint();
let reached = atEnd;
while (reached < acked && performance.now() - ended < 60_000) {
  await new Promise((resolve) => setTimeout(resolve, 20));
  reached = await checkpoint();
}
console.log(
  `${values.tree}: ${Math.round(acked / SECONDS)} req/s; when the load stopped the checkpoint was ${Math.max(0, acked - atEnd)} acknowledged writes behind; ` +
    (reached >= acked ? `it had them all ${Math.round(performance.now() - ended)} ms later` : `it had not reached them after 60 s (${reached} of ${acked})`),
);
await s.stop();
rmSync(dataDir, { recursive: true, force: true });
