// Starting as a newcomer does, with `npm start`: a second start on the same DATA_DIR and a
// busy port each end at once with one plain line, touching nothing; a lock left by a killed
// instance is taken over.
import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { LOCK_FILE, type LockHolder } from '../server/platform/data-dir-lock.ts';
import { DATABASES, testDatabaseUrl } from './support/databases.ts';
import { startTestNats } from './support/nats.ts';
import { alive, runToExit, scratchDirs, spawnMayfly } from './support/process.ts';

const scratch = scratchDirs('start');
const tempDir = scratch.make;
afterAll(scratch.removeAll);

/** Processes whose command line mentions `text` (none of ours may outlive a refused start). */
const processesWith = (text: string) => {
  try {
    return execFileSync('pgrep', ['-f', text], { encoding: 'utf8' }).trim().split('\n').filter(Boolean);
  } catch {
    return [];
  }
};

/** Every file under `dir` with its size and modification time. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    const s = statSync(path);
    out[path] = `${s.size}:${s.mtimeMs}`;
  }
  return out;
}

describe('npm start, the first time', () => {
  it('refuses a second start on the same DATA_DIR at once, naming the running instance, and touches nothing of it', async () => {
    const dataDir = tempDir();
    const first = await spawnMayfly({ DATA_DIR: dataDir }, ['npm', 'start', '--silent']);
    try {
      const holder = JSON.parse(readFileSync(join(dataDir, LOCK_FILE), 'utf8')) as LockHolder;
      expect(holder.port).toBe(Number(new URL(first.url).port));
      const natsPid = Number(readFileSync(join(dataDir, 'nats', 'nats-server.pid'), 'utf8'));
      // Nothing of the first instance may change, its store included: compared file by file
      // around the second start, with the first left idle meanwhile.
      await new Promise((r) => setTimeout(r, 1_500));
      const nats = join(dataDir, 'nats');
      const before = { lock: readFileSync(join(dataDir, LOCK_FILE), 'utf8'), files: snapshot(join(dataDir, 'pg')), natsPidFile: statSync(join(nats, 'nats-server.pid')).mtimeMs };

      const second = await runToExit(['npm', 'start', '--silent'], { DATA_DIR: dataDir, PORT: '0' });
      expect(second.code).toBe(1);
      expect(second.stdout).toBe('');
      expect(second.stderr.trim().split('\n')).toEqual([
        `Mayfly is already running on DATA_DIR=${dataDir} (pid ${holder.pid}, port ${holder.port}): stop it first, or set another DATA_DIR`,
      ]);
      expect(second.ms).toBeLessThan(5_000);

      expect(readFileSync(join(dataDir, LOCK_FILE), 'utf8')).toBe(before.lock);
      expect(snapshot(join(dataDir, 'pg'))).toEqual(before.files);
      expect(statSync(join(nats, 'nats-server.pid')).mtimeMs).toBe(before.natsPidFile);
      expect(alive(natsPid)).toBe(true);
      const write = await fetch(`${first.url}/api/v1/drafts`, { method: 'POST', headers: { 'content-type': 'application/json', 'X-App-ID': 'app' }, body: '{"content":"still mine"}' });
      expect(write.status).toBe(201);
      // The ops CLI is no second instance: it finds the running one's nats-server through DATA_DIR.
      const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NATS_URL' && k !== 'DATABASE_URL'));
      const ops = await runToExit(['node', '--import', 'tsx', 'ops/main.ts', 'streams', '--json'], { ...clean, DATA_DIR: dataDir, LOG_LEVEL: 'warn' });
      expect(ops.code, ops.stderr).toBe(0);
      expect((JSON.parse(ops.stdout) as { streams: { name: string }[] }).streams.map((s) => s.name)).toContain('DRAFTS');
    } finally {
      await first.kill('SIGTERM');
    }
    expect(readdirSync(dataDir)).not.toContain(LOCK_FILE);
  });

  it('takes over the lock of an instance that was killed', async () => {
    const dataDir = tempDir();
    const first = await spawnMayfly({ DATA_DIR: dataDir });
    const gone = (JSON.parse(readFileSync(join(dataDir, LOCK_FILE), 'utf8')) as LockHolder).pid;
    await first.kill('SIGKILL');
    expect(readdirSync(dataDir)).toContain(LOCK_FILE); // left behind
    const second = await spawnMayfly({ DATA_DIR: dataDir });
    try {
      const holder = JSON.parse(readFileSync(join(dataDir, LOCK_FILE), 'utf8')) as LockHolder;
      expect(holder.pid).not.toBe(gone);
      expect(holder.port).toBe(Number(new URL(second.url).port));
      expect((await fetch(`${second.url}/health`)).status).toBe(200);
    } finally {
      await second.kill('SIGTERM');
    }
  });

  it('takes no lock where nothing is kept in DATA_DIR (DATABASE_URL and NATS_URL set): two run side by side', async () => {
    await using nats = await startTestNats();
    // PostgreSQL where it answers (a start on it is quick); else in-memory PGlite, private to each.
    const postgres = !DATABASES.find((d) => d.name === 'postgres')!.skip;
    await using database = await testDatabaseUrl(postgres ? 'postgres' : 'pglite');
    const dataDir = tempDir();
    const env = { DATA_DIR: dataDir, NATS_URL: nats.url, DATABASE_URL: postgres ? database.url : 'memory://', ROLE: 'api' };
    const one = await spawnMayfly(env);
    const two = await spawnMayfly(env);
    try {
      for (const p of [one, two]) expect((await fetch(`${p.url}/health`)).status).toBe(200);
      expect(readdirSync(dataDir)).not.toContain(LOCK_FILE);
    } finally {
      await one.kill('SIGTERM');
      await two.kill('SIGTERM');
    }
  });

  it('ends at once with one line naming a busy port and PORT, exit code 1, nothing started or left running', async () => {
    const dataDir = join(tempDir(), 'data');
    const other = createServer();
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
    const port = (other.address() as { port: number }).port;
    try {
      // What `npm start` runs, timed from spawn without npm's own start-up.
      const run = await runToExit(['node', 'scripts/start.mjs', 'server/main.ts'], { DATA_DIR: dataDir, PORT: String(port) });
      expect(run.code).toBe(1);
      expect(run.stdout).toBe('');
      expect(run.stderr.trim().split('\n')).toEqual([`port ${port} is in use (PORT=${port}): another program listens on 127.0.0.1:${port}; stop it, or set PORT to a free port`]);
      expect(run.ms).toBeLessThan(1_000);
    } finally {
      other.close();
    }
    // Neither the broker nor the database started, and the directory is free again.
    expect(readdirSync(dataDir)).toEqual([]);
    expect(processesWith(dataDir)).toEqual([]);
  });

  it('ends with one line naming both numbers when NATS_STREAM_REPLICAS asks for more copies than the cluster has nodes', async () => {
    await using nats = await startTestNats();
    // PostgreSQL where there is one: an in-memory PGlite takes seconds to boot on a loaded machine.
    await using database = await testDatabaseUrl(DATABASES[1]!.skip ? 'pglite' : 'postgres');
    const run = await runToExit(['node', '--import', 'tsx', 'server/main.ts'], { NATS_URL: nats.url, DATABASE_URL: database.url, NATS_STREAM_REPLICAS: '3', PORT: '0', LOG_LEVEL: 'warn' });
    expect(run.code).toBe(1);
    expect(run.stderr.trim().split('\n')).toEqual(['invalid configuration: NATS_STREAM_REPLICAS is 3 but the NATS cluster has 1 node (at most 1 replica possible)']);
  }, 90_000);
});
