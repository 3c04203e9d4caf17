// Builds @mayfly/contracts as a package a client installs: an ESM file and a declaration file
// per entry (`.`: schemas and catalogs; `./client`: the typed client, with AppRouter's types
// inlined), no server code and no node:* imports, and packs it with npm:
//   npm run pack:contracts   ->  build/mayfly-contracts-<version>.tgz
// The router type still names a few server-side library types (its request context); they are
// not part of any procedure's input or output, and a client compiles with `skipLibCheck: true`
// (the default of Vite, Next.js and React Native templates).
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';

const OUT = 'build/contracts';
const PEERS = ['@trpc/client', '@trpc/server', 'superjson', 'zod'];
/** The package's entries: `.` (schemas, catalogs) and `./client` (the typed client and AppRouter). */
const ENTRIES = ['index', 'client'] as const;

/** Builds the package folder and returns the path of the packed tarball. */
export async function packContracts(): Promise<string> {
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(join(OUT, 'dist'), { recursive: true });
  for (const entry of ENTRIES) {
    await build({
      entryPoints: [`contracts/${entry}.ts`],
      bundle: true,
      format: 'esm',
      platform: 'neutral',
      target: 'es2022',
      external: PEERS,
      outfile: join(OUT, `dist/${entry}.js`),
      logLevel: 'error',
    });
    const js = readFileSync(join(OUT, `dist/${entry}.js`), 'utf8');
    if (/from ["'](node:|\.\.\/)/.test(js)) throw new Error(`contracts bundle ${entry} imports node:* or files outside the package`);
  }
  // Both declaration files in one compilation: the router type reaches the index entry again
  // through `@mayfly/contracts`, which must be a file of the compilation, not a package.
  const config = join(OUT, 'dts.config.json');
  writeFileSync(
    config,
    JSON.stringify({
      compilationOptions: { preferredConfigPath: resolve('tsconfig.json') },
      entries: ENTRIES.map((e) => ({
        // Paths in the config are relative to it: given whole.
        filePath: resolve(`contracts/${e}.ts`),
        outFile: resolve(OUT, `dist/${e}.d.ts`),
        noCheck: true,
        libraries: { importedLibraries: PEERS },
      })),
    }),
  );
  execFileSync('npx', ['dts-bundle-generator', '--silent', '--config', config], { stdio: 'pipe' });
  rmSync(config);
  const source = JSON.parse(readFileSync('contracts/package.json', 'utf8')) as Record<string, unknown>;
  const pkg = {
    ...source,
    exports: Object.fromEntries(ENTRIES.map((e) => [e === 'index' ? '.' : `./${e}`, { types: `./dist/${e}.d.ts`, default: `./dist/${e}.js` }])),
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
