import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** What /admin/assets/ serves, with its type. */
export const ASSET_TYPES: Record<string, string> = {
  'dashboard.js': 'text/javascript; charset=utf-8',
  'dashboard.css': 'text/css; charset=utf-8',
};

const here = dirname(fileURLToPath(import.meta.url));
const uplotCss = () => join(dirname(createRequire(import.meta.url).resolve('uplot/package.json')), 'dist', 'uPlot.min.css');

/**
 * The page's script: `client/main.ts` with Preact, htm and uPlot bundled by esbuild from
 * node_modules (about 60 KB minified), built once per process on first request (tens of ms),
 * so nothing is fetched from anywhere but this service and nothing built is kept in git.
 */
async function buildScript(): Promise<Uint8Array<ArrayBuffer>> {
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: [join(here, 'client', 'main.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    write: false,
    legalComments: 'eof',
    logLevel: 'silent',
  });
  const out = result.outputFiles[0];
  if (!out) throw new Error('the dashboard script built to nothing');
  return new Uint8Array(out.contents);
}

/** The page's stylesheet: uPlot's own, then the dashboard's. */
async function buildStyles(): Promise<Uint8Array<ArrayBuffer>> {
  const [chart, own] = await Promise.all([readFile(uplotCss(), 'utf8'), readFile(join(here, 'client', 'dashboard.css'), 'utf8')]);
  return new TextEncoder().encode(`${chart}\n${own}`);
}

const built = new Map<string, Promise<Uint8Array<ArrayBuffer>>>();

/** An asset's bytes, built once per process (a failed build is tried again on the next request). */
export function dashboardAsset(name: string): Promise<Uint8Array<ArrayBuffer>> | undefined {
  if (!(name in ASSET_TYPES)) return undefined;
  let file = built.get(name);
  if (!file) {
    file = name === 'dashboard.js' ? buildScript() : buildStyles();
    file.catch(() => built.delete(name));
    built.set(name, file);
  }
  return file;
}
