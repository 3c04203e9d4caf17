import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { copyText, type Database } from './database.ts';
import { openPg } from './pg.ts';
import { openPglite } from './pglite.ts';
import { openPgliteWorker } from './pglite-threaded.ts';
import { createPostgresDatabase, DATABASES } from '../../../test/support/databases.ts';

const pgSkip = DATABASES.find((d) => d.name === 'postgres')!.skip;
const root = mkdtempSync(join(tmpdir(), 'mayfly-copy-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

// Values COPY's text format must escape, and the types a projection's rows hold.
const rows = [
  ['a\tb', 'line one\nline two\r\n', 'back\\slash \\N not null', { nested: ['tab\t', 'quote"'] }, '2026-12-01T12:00:00.000Z', 42, true],
  ['é ü 日本 🙂', '', '\\.', null, '2026-12-01T12:00:00.123Z', 9007199254740991, false],
  [null, null, null, [1, 2], null, null, null],
] as const;

describe.each([
  ['PGlite in this thread', async () => openPglite(join(root, `db-${++n}`, 'pg'))],
  ['PGlite in a worker thread', async () => openPgliteWorker(join(root, `db-${++n}`, 'pg'))],
  ['PostgreSQL', async () => {
    const database = await createPostgresDatabase();
    const db = await openPg(database.url);
    const closed: Database = { ...db, close: async () => { await db.close(); await database.drop(); } };
    return closed;
  }],
] as const)('copyFrom on %s', (name, open) => {
  it.skipIf(name === 'PostgreSQL' && pgSkip)('appends rows exactly as given, in a transaction or not, and a failed COPY takes its transaction down', async () => {
    const db = await open();
    try {
      await db.exec('CREATE TABLE copied (k serial, t1 text, t2 text, t3 text, doc jsonb, at timestamptz, big bigint, flag boolean)');
      const columns = ['t1', 't2', 't3', 'doc', 'at', 'big', 'flag'];
      await db.copyFrom('copied', columns, rows.slice(0, 1));
      await db.transaction(async (tx) => tx.copyFrom('copied', columns, rows.slice(1)));
      const got = await db.query<Record<string, unknown>>('SELECT t1, t2, t3, doc, at, big, flag FROM copied ORDER BY k');
      expect(got.map((r) => ({ ...r, at: r.at === null ? null : new Date(r.at as string).toISOString() }))).toEqual(
        rows.map(([t1, t2, t3, doc, at, big, flag]) => ({ t1, t2, t3, doc, at, big, flag })),
      );
      // A row the table refuses fails the COPY, and the transaction with everything in it.
      await db.exec('ALTER TABLE copied ADD CONSTRAINT t2_given CHECK (t2 IS NOT NULL) NOT VALID');
      await expect(
        db.transaction(async (tx) => {
          await tx.query("INSERT INTO copied (t1) VALUES ('kept only if the COPY succeeds')");
          await tx.copyFrom('copied', columns, rows.slice(2));
        }),
      ).rejects.toThrow(/t2_given/);
      expect(await db.query('SELECT count(*)::int AS n FROM copied')).toEqual([{ n: 3 }]);
    } finally {
      await db.close();
    }
  });
});

it('writes COPY text format: tabs between values, backslash escapes, \\N for NULL', () => {
  expect(copyText([['a\tb', null, 'x\\y\nz', 1, { k: 'v' }]])).toBe('a\\tb\t\\N\tx\\\\y\\nz\t1\t{"k":"v"}\n');
  expect(copyText([])).toBe('');
});
