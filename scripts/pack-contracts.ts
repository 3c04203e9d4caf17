// Builds @mayfly/contracts as a package a client installs: one ESM file (no server code, no
// node:* imports), one declaration file with AppRouter's types inlined, and packs it with npm:
//   npm run pack:contracts   ->  build/mayfly-contracts-<version>.tgz
// The router type still names a few server-side library types (its request context); they are
// not part of any procedure's input or output, and a client compiles with `skipLibCheck: true`
// (the default of Vite, Next.js and React Native templates).
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

const OUT = 'build/contracts';
const PEERS = ['@trpc/client', '@trpc/server', 'superjson', 'zod'];

/** Builds the package folder and returns the path of the packed tarball. */
export async function packContracts(): Promise<string> {
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(join(OUT, 'dist'), { recursive: true });
  await build({
    entryPoints: ['contracts/index.ts'],
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    external: PEERS,
    outfile: join(OUT, 'dist/index.js'),
    logLevel: 'error',
  });
  const js = readFileSync(join(OUT, 'dist/index.js'), 'utf8');
  if (/from ["'](node:|\.\.\/)/.test(js)) throw new Error('contracts bundle imports node:* or files outside the package');
  execFileSync(
    'npx',
    [
      'dts-bundle-generator',
      '--project', 'tsconfig.json',
      '--no-check',
      '--silent',
      '--external-imports', ...PEERS,
      '-o', join(OUT, 'dist/index.d.ts'),
      'contracts/index.ts',
    ],
    { stdio: 'pipe' },
  );
  const source = JSON.parse(readFileSync('contracts/package.json', 'utf8')) as Record<string, unknown>;
  const pkg = {
    ...source,
    exports: { '.': { types: './dist/index.d.ts', default: './dist/index.js' } },
    types: './dist/index.d.ts',
    files: ['dist'],
    peerDependencies: { ...(source.peerDependencies as object), '@trpc/server': '11.25.2' },
  };
  writeFileSync(join(OUT, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
  const name = execFileSync('npm', ['pack', '--silent', '--pack-destination', '..'], { cwd: OUT }).toString().trim().split('\n').pop()!;
  return join('build', name);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(await packContracts());
}
