import { afterAll, describe, expect, it, vi } from 'vitest';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Draft } from '@mayfly/contracts';
import { createMayflyClient } from '@mayfly/contracts/client';
import { openDatabase } from '../server/platform/db/open.ts';
import { DATABASES, testDatabaseUrl } from './support/databases.ts';
import { startTestNats } from './support/nats.ts';
import { alive, ROOT, scratchDirs, spawnMayfly, type MayflyProcess } from './support/process.ts';

const scratch = scratchDirs('e2e');
const tempDir = scratch.make;
afterAll(scratch.removeAll);

const post = (base: string, path: string, body: unknown, appId: string) =>
  fetch(`${base}/api/v1${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'X-App-ID': appId },
    body: JSON.stringify(body),
  });

describe('the real process', () => {
  it('npm start serves REST and the typed client on embedded defaults, keeps data across a restart, stops on SIGTERM', async () => {
    const dataDir = tempDir();
    let proc: MayflyProcess = await spawnMayfly({ DATA_DIR: dataDir }, ['npm', 'start', '--silent']);
    try {
      expect(await (await fetch(`${proc.url}/health`)).json()).toEqual({ status: 'ok' });
      // Run from the bundle: files found beside the sources and in node_modules as from the sources.
      expect((await fetch(`${proc.url}/docs/swagger-ui.css`)).status).toBe(200);
      const res = await post(proc.url, '/drafts', { content: 'over REST' }, 'com.example.app');
      expect(res.status).toBe(201);
      const viaRest = (await res.json()) as Draft;

      const client = createMayflyClient({ url: proc.url, appId: 'com.example.app' });
      const viaTrpc = await client.drafts.create.mutate({ content: 'over tRPC', ttl_seconds: 120 });
      expect(await client.drafts.get.query({ id: viaRest.id })).toEqual(viaRest);
      expect((await client.drafts.list.query({ limit: 10 })).items.map((d) => d.id)).toEqual([viaTrpc.id, viaRest.id]);

      await proc.kill('SIGTERM'); // npm reports the signal, not the service's exit code
      expect(proc.output()).toContain('"msg":"stopped"');

      proc = await spawnMayfly({ DATA_DIR: dataDir }, ['npm', 'start', '--silent']);
      const again = createMayflyClient({ url: proc.url, appId: 'com.example.app' });
      expect(await again.drafts.get.query({ id: viaTrpc.id })).toEqual(viaTrpc);
    } finally {
      await proc.kill('SIGTERM');
    }
  });

  it('stops within seconds on a Ctrl-C to its process group, leaving no nats-server behind', async () => {
    const dataDir = tempDir();
    const proc = await spawnMayfly({ DATA_DIR: dataDir });
    const natsPid = Number(readFileSync(join(dataDir, 'nats', 'nats-server.pid'), 'utf8'));
    expect(alive(natsPid)).toBe(true);
    const started = Date.now();
    await proc.kill('SIGINT'); // to the whole group, as a terminal does
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(proc.output()).toContain('"msg":"stopped"');
    expect(alive(natsPid)).toBe(false);
  });

  it('takes its nats-server down when it exits without stopping it', async () => {
    // The server runs in its own process group, so nothing else would stop it.
    const storeDir = join(tempDir(), 'nats');
    const script = `import { startNatsServer } from './server/platform/nats/embedded-server.ts';
      await startNatsServer({ bin: process.env.NATS_SERVER_BIN ?? 'nats-server', storeDir: ${JSON.stringify(storeDir)} });
      process.exit(3);`;
    const child = spawn('node', ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, stdio: 'ignore' });
    expect(await new Promise((r) => child.once('exit', r))).toBe(3);
    const natsPid = Number(readFileSync(join(storeDir, 'nats-server.pid'), 'utf8'));
    await vi.waitFor(() => expect(alive(natsPid)).toBe(false), { timeout: 5_000 });
  });

  it('restarts on the same data after kill -9, stopping the nats-server the dead process left behind', async () => {
    const dataDir = tempDir();
    const first = await spawnMayfly({ DATA_DIR: dataDir });
    const draft = (await (await post(first.url, '/drafts', { content: 'survives' }, 'app')).json()) as Draft;
    await first.kill('SIGKILL');
    const second = await spawnMayfly({ DATA_DIR: dataDir });
    try {
      const res = await fetch(`${second.url}/api/v1/drafts/${draft.id}`, { headers: { 'X-App-ID': 'app' } });
      expect(await res.json()).toEqual(draft);
    } finally {
      await second.kill('SIGTERM');
    }
  });

  it('says in one line how to install nats-server when it is missing', async () => {
    const dataDir = tempDir();
    const err = await spawnMayfly({ DATA_DIR: dataDir, NATS_SERVER_BIN: 'no-such-nats-server' }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/nats-server not found .*apt-get install nats-server/);
  });

  it('stops at start with one clear line for an invalid setting', async () => {
    const err = await spawnMayfly({ DRAFT_MAX_TTL_SECONDS: 'forever' }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/exited with 1.*\n?invalid configuration: DRAFT_MAX_TTL_SECONDS/);
  });
});

describe.each(DATABASES)('killed between publish and projection, on $name', ({ name, skip }) => {
  it.skipIf(skip)('projects the draft exactly once after restart', { timeout: 90_000 }, async () => {
    await using nats = await startTestNats();
    await using database = await testDatabaseUrl(name);
    const dataDir = tempDir();
    const env: Record<string, string> = { NATS_URL: nats.url, DATA_DIR: dataDir };
    if (name === 'postgres') env.DATABASE_URL = database.url;

    // An API-only process publishes; nothing projects yet. Then it dies without a chance to clean up.
    const api = await spawnMayfly({ ...env, ROLE: 'api' });
    const res = await post(api.url, '/drafts', { content: 'in flight' }, 'crash-app');
    expect(res.status).toBe(201);
    const draft = (await res.json()) as Draft;
    await api.kill('SIGKILL');

    const full = await spawnMayfly(env);
    try {
      const read = await fetch(`${full.url}/api/v1/drafts/${draft.id}`, { headers: { 'X-App-ID': 'crash-app' } });
      expect(read.status).toBe(200);
      expect(await read.json()).toEqual(draft);
      // Restart once more: the checkpoint holds, nothing is applied twice.
      expect(await full.kill('SIGTERM')).toBe(0);
    } finally {
      await full.kill('SIGTERM');
    }
    const db = await openDatabase(name === 'postgres' ? database.url : undefined, dataDir);
    try {
      expect(await db.query('SELECT id FROM drafts WHERE tenant = $1', ['crash-app'])).toHaveLength(1);
      const [cp] = await db.query<{ last_seq: number }>("SELECT last_seq FROM projection_checkpoints WHERE projection = 'drafts'");
      expect(cp!.last_seq).toBe(1);
    } finally {
      await db.close();
    }
  });
});
