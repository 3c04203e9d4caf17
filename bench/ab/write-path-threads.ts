// Paired A/B of the write path: the stock server and Mayfly with PGlite in its own thread and
// in the main thread (and, with --old-tree, another checkout's build), started in turn, rounds
// alternating in order, each measured the same way: peak req/s (50 connections), an evenly
// paced load at --rate (default: half of the variant's own peak) and CPU time per request, of
// the whole process and of its main thread (/proc), which is what bounds the event loop.
// Not part of `npm run bench` (a subfolder): run it by hand.
//
//   node --import tsx bench/ab/write-path-threads.ts [--cpus 0] [--rounds 3] [--seconds 8] [--rate 600]
//                     [--variants stock,main,worker,old --old-tree ../other-checkout]
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
/** CPU seconds (user + system) of a process, or of one of its threads. */
const cpu = (pid: number, tid?: number) => {
  const f = readFileSync(tid ? `/proc/${pid}/task/${tid}/stat` : `/proc/${pid}/stat`, 'utf8');
  const parts = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return (Number(parts[11]) + Number(parts[12])) / 100;
};
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { UNLIMITED, load, paced, pinSelfToLoadCore, startServer } from '../harness.ts';
import { fmt, median } from '../lib.ts';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '8' }, rounds: { type: 'string', default: '3' }, cpus: { type: 'string', default: '0' }, variants: { type: 'string', default: 'stock,main,worker' }, rate: { type: 'string' }, 'old-tree': { type: 'string' } } });
const SECONDS = Number(values.seconds);
pinSelfToLoadCore();
const body = JSON.stringify({ json: { content: 'Dear team, the quarterly numbers are in.', ttl_seconds: 3600 } });
const env = (thread?: string) => ({ NODE_ENV: 'production', SECRET_KEY: 'b'.repeat(32), TENANCY: 'open', RATE_LIMITS: UNLIMITED, ...(thread ? { PGLITE_THREAD: thread } : {}) });
const variants: Record<string, { cmd: string[]; cwd?: string; env: (d: string) => Record<string, string>; path: string }> = {
  stock: { cmd: ['node', '--import', 'tsx', 'bench/servers/baseline.ts'], env: () => ({}), path: '/trpc/create' },
  old: { cmd: ['node', 'scripts/start.mjs', 'server/main.ts'], cwd: values['old-tree'], env: (d) => ({ DATA_DIR: d, ...env() }), path: '/trpc/drafts.create' },
  main: { cmd: ['node', 'scripts/start.mjs', 'server/main.ts'], env: (d) => ({ DATA_DIR: d, ...env('main') }), path: '/trpc/drafts.create' },
  worker: { cmd: ['node', 'scripts/start.mjs', 'server/main.ts'], env: (d) => ({ DATA_DIR: d, ...env('worker') }), path: '/trpc/drafts.create' },
};
const names = values.variants.split(',');
const results: Record<string, { rps: number[]; p99: number[]; paced: number[]; pacedP50: number[]; cpuAll: number[]; cpuMain: number[]; pacedCpuAll: number[]; pacedCpuMain: number[] }> = {};
for (let r = 0; r < Number(values.rounds); r++) {
  for (const name of r % 2 === 0 ? names : [...names].reverse()) {
    const v = variants[name]!;
    const dir = mkdtempSync(join(tmpdir(), 'wt20-ab-'));
    const s = await startServer(v.cmd, v.env(dir), { cpus: values.cpus, cwd: v.cwd });
    const headers = { 'X-App-ID': 'bench' };
    await load({ url: s.url + v.path, body, headers, connections: 50, seconds: 3 });
    const pid = s.child.pid!;
    const c0 = [cpu(pid), cpu(pid, pid)];
    const peak = await load({ url: s.url + v.path, body, headers, connections: 50, seconds: SECONDS });
    const c1 = [cpu(pid), cpu(pid, pid)];
    const served = peak.rps * SECONDS;
    const perReq = [(c1[0]! - c0[0]!) / served * 1e6, (c1[1]! - c0[1]!) / served * 1e6];
    const rate = values.rate ? Number(values.rate) : Math.round(peak.rps / 2);
    const c2 = [cpu(pid), cpu(pid, pid)];
    const half = await paced({ url: s.url + v.path, body, headers, connections: 50, seconds: SECONDS, rate });
    const c3 = [cpu(pid), cpu(pid, pid)];
    const pacedPerReq = [(c3[0]! - c2[0]!) / (rate * SECONDS) * 1e6, (c3[1]! - c2[1]!) / (rate * SECONDS) * 1e6];
    await s.stop();
    rmSync(dir, { recursive: true, force: true });
    (results[name] ??= { rps: [], p99: [], paced: [], pacedP50: [], cpuAll: [], cpuMain: [], pacedCpuAll: [], pacedCpuMain: [] });
    results[name].cpuAll.push(perReq[0]!);
    results[name].cpuMain.push(perReq[1]!);
    results[name].rps.push(peak.rps);
    results[name].p99.push(peak.p99);
    results[name].paced.push(half.p99);
    results[name].pacedP50.push(half.p50);
    console.log(`round ${r} ${name}: ${fmt(peak.rps, 0)} req/s p99 ${peak.p99} | paced ${rate}/s p50 ${fmt(half.p50)} p99 ${fmt(half.p99)} errors ${peak.errors + peak.non2xx + half.errors + half.non2xx} | CPU us/req process ${fmt(perReq[0]!, 0)} main thread ${fmt(perReq[1]!, 0)}; paced: ${fmt(pacedPerReq[0]!, 0)} ${fmt(pacedPerReq[1]!, 0)}`);
    results[name].pacedCpuAll.push(pacedPerReq[0]!);
    results[name].pacedCpuMain.push(pacedPerReq[1]!);
  }
}
const stock = results.stock ? median(results.stock.rps) : Number.NaN;
for (const [name, x] of Object.entries(results)) {
  console.log(`${name.padEnd(7)} median ${fmt(median(x.rps), 0)} req/s (${x.rps.map((v) => fmt(v, 0)).join(', ')}) ratio ${fmt(median(x.rps) / stock, 2)} | paced p99 median ${fmt(median(x.paced))} (${x.paced.map((v) => fmt(v)).join(', ')}) p50 ${fmt(median(x.pacedP50))} | CPU us/req process ${fmt(median(x.cpuAll), 0)} main ${fmt(median(x.cpuMain), 0)}; paced ${fmt(median(x.pacedCpuAll), 0)} main ${fmt(median(x.pacedCpuMain), 0)}`);
}
