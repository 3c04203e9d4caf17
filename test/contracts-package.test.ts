import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Mayfly } from '../server/runtime/start.ts';
import type { EmbeddedNats } from '../server/platform/nats/embedded-server.ts';
import { serve, type Listener } from '../server/http/serve.ts';
import { packContracts } from '../scripts/pack-contracts.ts';
import { startTestMayfly } from './support/mayfly.ts';
import { startTestNats } from './support/nats.ts';
import { ROOT } from './support/process.ts';

const CLIENT = `
import { DraftCreateInput, STREAMS } from '@mayfly/contracts';
import { createMayflyClient, type AppRouter } from '@mayfly/contracts/client';
import type { inferRouterOutputs } from '@trpc/server';

type Draft = inferRouterOutputs<AppRouter>['drafts']['get'];
const url = process.argv[2]!;
const client = createMayflyClient({ url, appId: 'com.example.packed' });
const input = DraftCreateInput.parse({ content: 'from the packed contracts' });
const created: Draft = await client.drafts.create.mutate(input);
const again = await client.drafts.get.query({ id: created.id });
// Never called: only the compiler looks at it.
export const wrong = () =>
  // @ts-expect-error: the typed client knows drafts.get needs an id
  client.drafts.get.query({});
console.log(JSON.stringify({ same: again.content === created.content, stream: STREAMS.DRAFTS.name }));
`;

describe('the packed contracts package', () => {
  let nats: EmbeddedNats;
  let mayfly: Mayfly;
  let listener: Listener;
  const project = mkdtempSync(join(tmpdir(), 'mayfly-client-'));

  beforeAll(async () => {
    nats = await startTestNats();
    mayfly = await startTestMayfly({ NATS_URL: nats.url, DATABASE_URL: 'memory://' });
    listener = await serve(mayfly.app as never, 0, '127.0.0.1');
  }, 120_000);
  afterAll(async () => {
    await listener?.close();
    await mayfly?.stop();
    await nats?.stop();
    rmSync(project, { recursive: true, force: true });
  });

  it('installs from its tarball, type-checks strictly and runs a client against a live server', async () => {
    const tarball = resolve(ROOT, await packContracts());
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'client', private: true, type: 'module' }));
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball, '@trpc/client@11.25.2', '@trpc/server@11.25.2', 'superjson@^2.2.6', 'zod@^4.6.7', '@types/node@^20'], {
      cwd: project,
      stdio: 'ignore',
    });
    writeFileSync(join(project, 'client.ts'), CLIENT);
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, skipLibCheck: true, noEmit: false, outDir: 'out', types: ['node'] },
        files: ['client.ts'],
      }),
    );
    // Type-check strictly (client code; libraries' declarations skipped, as client templates do) and compile.
    execFileSync(join(ROOT, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.json'], { cwd: project, stdio: 'pipe' });
    // Asynchronously: the server it calls runs in this process.
    const { stdout } = await promisify(execFile)('node', ['out/client.js', `http://127.0.0.1:${listener.port}`], { cwd: project });
    expect(JSON.parse(stdout)).toEqual({ same: true, stream: 'DRAFTS' });
  }, 180_000);
});
