import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Database } from './database.ts';
import { migrate } from './migrate.ts';
import { openPglite } from './pglite.ts';

const root = mkdtempSync(join(tmpdir(), 'mayfly-migrate-'));
/** A module's migration folder holding `files`. */
function source(module: string, files: Record<string, string>) {
  const dir = join(root, module);
  mkdirSync(dir, { recursive: true });
  for (const [name, sql] of Object.entries(files)) writeFileSync(join(dir, name), sql);
  return { module, dir: pathToFileURL(`${dir}/`) };
}

describe('migrate', () => {
  let db: Database;
  beforeAll(async () => {
    db = await openPglite(undefined);
  });
  afterAll(async () => {
    await db?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('applies what is new, in order, and nothing twice', async () => {
    const a = source('a', { '0001_one.sql': 'CREATE TABLE one (x int);', '0002_two.sql': 'ALTER TABLE one ADD COLUMN y int;' });
    expect(await migrate(db, [a])).toEqual(['a/0001_one', 'a/0002_two']);
    expect(await migrate(db, [a])).toEqual([]);
    const b = source('b', { '0001_three.sql': 'CREATE TABLE three (x int);' });
    expect(await migrate(db, [a, b])).toEqual(['b/0001_three']);
  });

  it('applies all that is new or none of it', async () => {
    const c = source('c', { '0001_ok.sql': 'CREATE TABLE c_ok (x int);', '0002_broken.sql': 'ALTER TABLE nowhere ADD COLUMN y int;' });
    await expect(migrate(db, [c])).rejects.toThrow(/nowhere/);
    expect(await db.query("SELECT 1 FROM pg_tables WHERE tablename = 'c_ok'")).toEqual([]);
    expect(await db.query("SELECT id FROM schema_migrations WHERE id LIKE 'c/%'")).toEqual([]);
  });
});
