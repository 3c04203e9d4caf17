import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makePgliteTemplate, openPglite, pgliteTemplateDir } from './pglite.ts';

const root = mkdtempSync(join(tmpdir(), 'mayfly-pglite-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('a new PGlite data directory', () => {
  it('starts as a copy of the installation’s template cluster, each copy a database of its own', async () => {
    const template = join(root, 'template');
    expect(await makePgliteTemplate(template)).toBe(true);
    expect(await makePgliteTemplate(template)).toBe(false); // kept
    const clusters = new Set<string>();
    for (const name of ['a', 'b']) {
      const db = await openPglite(join(root, name, 'pg'), { template });
      await db.exec(`CREATE TABLE t (x text); INSERT INTO t VALUES ('${name}')`);
      // A copy keeps the template's cluster id; initdb would have made a new one.
      clusters.add(String((await db.query<{ id: unknown }>('SELECT system_identifier AS id FROM pg_control_system()'))[0]!.id));
      await db.close();
    }
    expect(clusters.size).toBe(1);
    for (const name of ['a', 'b']) {
      const db = await openPglite(join(root, name, 'pg'), { template });
      expect(await db.query('SELECT x FROM t')).toEqual([{ x: name }]);
      await db.close();
    }
    // The template itself is untouched: no table in it.
    const copy = await openPglite(join(root, 'c', 'pg'), { template });
    expect(await copy.query("SELECT 1 FROM pg_tables WHERE tablename = 't'")).toEqual([]);
    await copy.close();
  }, 60_000);

  it('leaves a folder that already holds files to PGlite, untouched by the template', async () => {
    const template = join(root, 'template');
    const dir = join(root, 'busy', 'pg');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    await openPglite(dir, { template }).then((db) => db.close(), () => undefined);
    expect(readdirSync(dir)).toContain('notes.txt');
  }, 60_000);

  it('has the template beside the PGlite package it was made by', () => {
    expect(pgliteTemplateDir()).toMatch(/node_modules\/\.cache\/mayfly\/pglite-\d+\.\d+\.\d+$/);
    expect(existsSync(pgliteTemplateDir())).toBe(true); // `npm ci` made it (npm run prepare)
  });
});
