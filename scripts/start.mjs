// `npm start` (and `npm run start:consumers`): runs an entry point of the service from a bundle
// of its TypeScript, rebuilt when a source changed, in this same process (signals reach the
// service directly). Loading the service through tsx's loader was about 0.9 s of every start;
// the bundle loads in a fraction of that (BENCHMARKS.md, cold start). Dependencies stay in
// node_modules, loaded by Node as they are (PGlite finds its WebAssembly beside its own module).
// Deno runs the TypeScript itself (`deno task start`), tests and ops use tsx: only this path
// reads the bundle.
//
//   node scripts/start.mjs server/main.ts          build if needed, then run
//   node scripts/start.mjs --build                 build only (the Docker image does, once)
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'build', 'run');
const CURRENT = join(OUT, 'current.json');
/** The processes the bundle holds; built together so they share chunks. */
const ENTRIES = ['server/main.ts', 'consumers/main.ts'];
/** Entries of threads the processes start (the embedded database's), found through `mayfly.bundle`. */
const THREADS = ['server/platform/db/pglite-worker.ts'];
/** What a build depends on besides the sources esbuild read. */
const ALSO = ['package.json', 'tsconfig.json', 'scripts/start.mjs'];
/**
 * Builds kept: a running instance may still load a lazy chunk of the build it started from, so
 * an older build goes only when there are newer ones and it is ten minutes old.
 */
const KEEP = 3;
const KEEP_MS = 10 * 60_000;

/** Size and modification time of each file (`absent` for one that is not there). */
function fingerprint(files) {
  return Object.fromEntries(
    files.map((f) => {
      try {
        const s = statSync(join(ROOT, f));
        return [f, `${s.size}:${s.mtimeMs}`];
      } catch {
        return [f, 'absent'];
      }
    }),
  );
}

/** The current build when every file it was made from is unchanged, else undefined. */
function freshBuild() {
  let current;
  try {
    current = JSON.parse(readFileSync(CURRENT, 'utf8'));
  } catch {
    return undefined;
  }
  const now = fingerprint(Object.keys(current.inputs));
  if (Object.keys(now).length === 0 || Object.entries(now).some(([f, v]) => current.inputs[f] !== v)) return undefined;
  return join(OUT, current.id);
}

/**
 * Relative URLs resolved against `import.meta.url` (the modules' migration folders) must still
 * point into the source tree from inside the bundle: each source's own URL is rebuilt from the
 * bundle's location.
 */
function sourceUrls(outdir) {
  return {
    name: 'source-urls',
    setup(build) {
      build.onLoad({ filter: /\.ts$/ }, (args) => {
        if (args.path.includes('/node_modules/')) return undefined;
        const text = readFileSync(args.path, 'utf8');
        if (!text.includes('import.meta.url')) return undefined;
        const fromBundle = relative(outdir, args.path).split('\\').join('/');
        return { contents: text.replaceAll('import.meta.url', `new URL(${JSON.stringify(fromBundle)}, import.meta.url).href`), loader: 'ts' };
      });
    },
  };
}

/** Bundles every entry point into a new folder and makes it the current build. */
async function rebuild() {
  const { build } = await import('esbuild');
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  const external = Object.keys({ ...pkg.dependencies, ...pkg.devDependencies }).filter((name) => name !== '@mayfly/contracts');
  const id = `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  const outdir = join(OUT, id);
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: [...ENTRIES, ...THREADS],
    outbase: ROOT,
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // Packages load from node_modules as they are: `pkg` and `pkg/sub/path` alike.
    external: external.flatMap((name) => [name, `${name}/*`]),
    sourcemap: 'linked',
    metafile: true,
    logLevel: 'error',
    plugins: [sourceUrls(outdir)],
  });
  const sources = Object.keys(result.metafile.inputs).filter((f) => !f.startsWith('node_modules/'));
  const inputs = fingerprint([...sources, ...ALSO]);
  const tmp = `${CURRENT}.${process.pid}`;
  writeFileSync(tmp, JSON.stringify({ id, built_at: new Date().toISOString(), inputs }));
  renameSync(tmp, CURRENT);
  const builds = readdirSync(OUT, { withFileTypes: true })
    .filter((d) => d.isDirectory() && d.name !== id)
    .map((d) => ({ name: d.name, mtime: statSync(join(OUT, d.name)).mtimeMs }))
    .sort((a, b) => b.mtime - a.mtime);
  for (const old of builds.slice(KEEP - 1)) {
    if (Date.now() - old.mtime > KEEP_MS) rmSync(join(OUT, old.name), { recursive: true, force: true });
  }
  return outdir;
}

const [first] = process.argv.slice(2);
mkdirSync(OUT, { recursive: true });
const dir = freshBuild() ?? (await rebuild());
if (first === '--build') {
  console.log(`built ${relative(ROOT, dir)}`);
} else {
  const entry = first ?? 'server/main.ts';
  if (!ENTRIES.includes(entry)) {
    console.error(`scripts/start.mjs runs one of ${ENTRIES.join(', ')} (got ${entry})`);
    process.exit(2);
  }
  // Stack traces name the TypeScript sources; Node 22+ also keeps compiled code between starts
  // (in the system's temporary folder).
  process.setSourceMapsEnabled(true);
  // Where the bundle is, for the code that starts a thread from one of its entries
  // (server/platform/db/pglite-threaded.ts): the sources' own URLs point into the source tree.
  globalThis[Symbol.for('mayfly.bundle')] = pathToFileURL(`${dir}/`).href;
  const { enableCompileCache } = await import('node:module');
  enableCompileCache?.();
  await import(pathToFileURL(join(dir, entry.replace(/\.ts$/, '.js'))).href);
}
