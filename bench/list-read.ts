// The broker's share of a list read at scale: every list read asks JetStream for the last
// message of the app's wildcard subject (`drafts.<app>.*`, ReadConsistency.lastSequence). 2.9
// scans every subject of the stream to answer; 2.11+ answers from its subject tree. Fills DRAFTS
// with `--subjects` one-message subjects spread over 1,000 apps, then times the lookup for one
// app, on Debian's nats-server (2.9) and on a current one (scripts/current-nats-server.sh).
//
//   npm run bench -- list-read [--subjects 1000000] [--lookups 2000]
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { draftSubject, tenantDraftsFilter } from '@mayfly/contracts';
import { loadConfig } from '../server/platform/config.ts';
import { createLogger } from '../server/platform/logger.ts';
import { connectBroker } from '../server/platform/nats/connect.ts';
import { startNatsServer } from '../server/platform/nats/embedded-server.ts';
import { provisionStreams } from '../server/platform/nats/streams.ts';
import { fmt, median, percentile, table } from './lib.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const { values } = parseArgs({ options: { subjects: { type: 'string', default: '1000000' }, lookups: { type: 'string', default: '2000' } }, allowPositionals: true });
const SUBJECTS = Number(values.subjects);
const LOOKUPS = Number(values.lookups);
const APPS = 1_000;

const current = (() => {
  try {
    return execFileSync('scripts/current-nats-server.sh', { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  } catch {
    return undefined;
  }
})();
const servers = [{ label: 'Debian nats-server', bin: 'nats-server' }, ...(current ? [{ label: 'current nats-server', bin: current }] : [])];

const results: { label: string; version: string; fill_s: number; p50_ms: number; p99_ms: number }[] = [];
for (const { label, bin } of servers) {
  const storeDir = mkdtempSync(join(tmpdir(), 'mayfly-list-read-'));
  const nats = await startNatsServer({ bin, storeDir });
  const broker = await connectBroker(nats.url, createLogger('warn'));
  try {
    await provisionStreams(broker.jsm, loadConfig({}), broker.serverVersion);
    const payload = new TextEncoder().encode('{}');
    const started = performance.now();
    const window: Promise<unknown>[] = [];
    for (let i = 0; i < SUBJECTS; i++) {
      window.push(broker.js.publish(draftSubject(`app-${i % APPS}`, `d${i}`), payload));
      if (window.length >= 2_000) await Promise.all(window.splice(0));
    }
    await Promise.all(window);
    const fill = (performance.now() - started) / 1000;
    const filter = tenantDraftsFilter('app-7');
    const times: number[] = [];
    for (let i = 0; i < LOOKUPS; i++) {
      const t = performance.now();
      await broker.jsm.direct.getMessage('DRAFTS', { last_by_subj: filter });
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    results.push({ label, version: broker.serverVersion, fill_s: fill, p50_ms: median(times), p99_ms: percentile(times, 99) });
  } finally {
    await broker.close();
    await nats.stop();
    rmSync(storeDir, { recursive: true, force: true });
  }
}

console.log(
  table(
    ['server', 'subjects', 'last-by-subject lookup p50 ms', 'p99 ms', 'ratio to 2.9', 'fill s'],
    results.map((r) => [`${r.label} ${r.version}`, SUBJECTS, fmt(r.p50_ms, 2), fmt(r.p99_ms, 2), fmt(r.p50_ms / results[0]!.p50_ms, 2), fmt(r.fill_s, 0)]),
  ),
);
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/list-read.json', JSON.stringify({ subjects: SUBJECTS, lookups: LOOKUPS, apps: APPS, results }, null, 2));
process.exit(0);
