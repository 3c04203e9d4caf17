// The import-direction check (`npm run check:layers`, part of `npm test`): every import of the
// project's own code must point down the layers ARCHITECTURE.md draws, and a module reaches
// another only through that module's index.ts. Prints each violation and exits 1.
import { readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { execFileSync } from 'node:child_process';
import ts from 'typescript';

/** The layers, lowest first: each may import its own and the ones listed. */
export const LAYERS = [
  { name: 'contracts', may: [] },
  { name: 'fast-paths', may: [] },
  { name: 'platform', may: ['contracts', 'fast-paths'] },
  { name: 'frameworks', may: ['platform', 'contracts', 'fast-paths'] },
  { name: 'procedures', may: ['frameworks', 'platform', 'contracts'] },
  { name: 'modules', may: ['procedures', 'frameworks', 'platform', 'contracts'] },
  { name: 'edge', may: ['modules', 'procedures', 'frameworks', 'platform', 'contracts', 'fast-paths'] },
  { name: 'entry', may: ['edge', 'modules', 'procedures', 'frameworks', 'platform', 'contracts', 'fast-paths'] },
] as const;

export type Layer = (typeof LAYERS)[number]['name'];

const ENTRY_POINTS = new Set(['server/main.ts', 'consumers/main.ts', 'ops/main.ts']);

/** The layer a file of the project belongs to; undefined for tests, benchmarks and scripts (not checked). */
export function layerOf(file: string): Layer | undefined {
  if (/\.test\.ts$/.test(file) || /^(test|bench|scripts)\//.test(file)) return undefined;
  if (file.startsWith('contracts/')) return 'contracts';
  if (file.startsWith('server/fast-paths/')) return 'fast-paths';
  if (file.startsWith('server/platform/')) return 'platform';
  if (file === 'consumers/main.ts') return 'entry';
  if (file.startsWith('consumers/')) return 'frameworks';
  if (file.startsWith('server/trpc/')) return 'procedures';
  if (file.startsWith('server/modules/')) return 'modules';
  if (file.startsWith('server/http/')) return 'edge';
  if (file === 'server/main.ts' || file.startsWith('server/runtime/') || file.startsWith('ops/')) return 'entry';
  return undefined;
}

/** Packages that speak HTTP or tRPC: nothing below the procedures layer may use them. */
const WIRE_PACKAGES = /^(hono|@hono\/|@trpc\/|trpc-to-openapi)/;

export interface Import {
  from: string;
  /** A project file (resolved, relative to the root), or a package name. */
  to: string;
  typeOnly: boolean;
}

/** Why an import breaks the layering, or undefined when it is fine. */
export function violation({ from, to, typeOnly }: Import): string | undefined {
  if (ENTRY_POINTS.has(to)) return `${to} is an entry point: nothing imports it`;
  const a = layerOf(from);
  if (a === undefined) return undefined;
  if (!to.includes('/') || !/\.(ts|js|mjs)$/.test(to)) {
    if ((a === 'platform' || a === 'frameworks') && WIRE_PACKAGES.test(to)) return `the ${a} layer knows nothing of HTTP or tRPC (imports ${to})`;
    return undefined;
  }
  const b = layerOf(to);
  if (b === undefined) return `${to} is not part of the service`;
  // The one accepted upward arrow: the client entry's type-only AppRouter.
  if (from === 'contracts/src/router.ts' && to === 'server/modules/index.ts' && typeOnly) return undefined;
  if (a === b) {
    if (a !== 'modules') return undefined;
    const [ma, mb] = [from.split('/')[2], to.split('/')[2]];
    const port = to === `server/modules/${mb}/index.ts`;
    if (from.split('/').length === 3 || to.split('/').length === 3 || ma === mb || port) return undefined;
    return `module ${ma} reaches into module ${mb}: use server/modules/${mb}/index.ts`;
  }
  const allowed: readonly string[] = LAYERS.find((l) => l.name === a)!.may;
  return allowed.includes(b) ? undefined : `the ${a} layer may not import the ${b} layer`;
}

/** The imports (and re-exports) of one file. */
export function importsOf(root: string, file: string): Import[] {
  const source = ts.createSourceFile(file, readFileSync(join(root, file), 'utf8'), ts.ScriptTarget.Latest, false);
  const out: Import[] = [];
  const add = (spec: string, typeOnly: boolean) => {
    const to = spec.startsWith('.') ? normalize(join(dirname(file), spec)) : spec === '@mayfly/contracts' ? 'contracts/index.ts' : spec;
    out.push({ from: file, to, typeOnly });
  };
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      add(node.moduleSpecifier.text, node.importClause?.isTypeOnly ?? false);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      add(node.moduleSpecifier.text, node.isTypeOnly);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0] && ts.isStringLiteral(node.arguments[0])) {
      add(node.arguments[0].text, false);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out;
}

/** Every violation in the project's tracked TypeScript files. */
export function checkLayers(root: string): string[] {
  const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard', '*.ts'], { cwd: root, encoding: 'utf8' })
    .split('\n')
    .filter((f) => f && !f.startsWith('node_modules/') && !f.endsWith('.d.ts'));
  const problems: string[] = [];
  for (const file of files) {
    for (const imp of importsOf(root, file)) {
      const why = violation(imp);
      if (why) problems.push(`${file}: imports ${imp.to}: ${why}`);
    }
  }
  return problems;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const root = relative(process.cwd(), join(dirname(new URL(import.meta.url).pathname), '..')) || '.';
  const problems = checkLayers(root);
  for (const p of problems) console.error(p);
  console.log(problems.length === 0 ? 'layers: every import points down' : `layers: ${problems.length} imports break the layering (see ARCHITECTURE.md)`);
  process.exit(problems.length === 0 ? 0 : 1);
}
