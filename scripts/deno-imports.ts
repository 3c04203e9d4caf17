// Keeps deno.json's import map in step with package.json (a test checks they agree):
//   npm run deno:imports
import { readFileSync, writeFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { dependencies: Record<string, string> };
const deno = JSON.parse(readFileSync('deno.json', 'utf8')) as { imports: Record<string, string> };
const imports: Record<string, string> = {};
for (const [name, version] of Object.entries(pkg.dependencies).sort(([a], [b]) => a.localeCompare(b))) {
  if (name === '@mayfly/contracts') continue;
  imports[name] = `npm:${name}@${version}`;
  imports[`${name}/`] = `npm:/${name}@${version}/`;
}
imports['@mayfly/contracts'] = './contracts/index.ts';
imports['@mayfly/contracts/client'] = './contracts/client.ts';
deno.imports = imports;
writeFileSync('deno.json', `${JSON.stringify(deno, null, 2)}\n`);
console.log(`deno.json: ${Object.keys(imports).length} imports`);
