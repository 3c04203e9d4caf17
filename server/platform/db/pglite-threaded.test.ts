import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isTransientDatabaseError, type Database } from './database.ts';
import { openPglite } from './pglite.ts';
import { openPgliteWorker } from './pglite-threaded.ts';

const root = mkdtempSync(join(tmpdir(), 'mayfly-pglite-threaded-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
/** A new data directory, copied from the installation's template (fast to open). */
const newDir = () => join(root, `db-${++n}`, 'pg');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// The same behaviour from PGlite in this thread and in a worker thread of its own.
describe.each([
  ['in this thread', openPglite],
  ['in a worker thread', openPgliteWorker],
] as const)('embedded PGlite %s', (_, open) => {
  it('hands rows and parameters over as PGlite parses them: int8 as numbers, timestamps as Dates, jsonb, bytea, arrays', async () => {
    await using db = disposable(await open(newDir()));
    const [row] = await db.query<Record<string, unknown>>(
      'SELECT 9007199254740991::int8 AS big, $1::timestamptz AS at, $2::jsonb AS doc, $3::bytea AS bytes, $4::text[] AS list, NULL::text AS nothing',
      ['2026-11-30T12:00:00.000Z', { a: [1, 'two'] }, new Uint8Array([0, 1, 255]), ['x', 'y']],
    );
    expect(row).toEqual({ big: 9007199254740991, at: new Date('2026-11-30T12:00:00.000Z'), doc: { a: [1, 'two'] }, bytes: new Uint8Array([0, 1, 255]), list: ['x', 'y'], nothing: null });
    expect(row!.at).toBeInstanceOf(Date);
    await db.exec('CREATE TABLE t (id int PRIMARY KEY, v text); CREATE INDEX t_v ON t (v)');
    expect(await db.command('INSERT INTO t VALUES (1, $1), (2, $1)', ['a'])).toBe(2);
    expect(await db.command('UPDATE t SET v = $1 WHERE id > 5', ['b'])).toBe(0);
  });

  it('fails a statement with the database error as PGlite reports it: SQLSTATE code, message, detail, constraint', async () => {
    await using db = disposable(await open(newDir()));
    await db.exec('CREATE TABLE u (id int PRIMARY KEY)');
    await db.query('INSERT INTO u VALUES (1)');
    const dup = await db.query('INSERT INTO u VALUES (1)').catch((e: unknown) => e);
    expect(dup).toBeInstanceOf(Error);
    expect(dup).toMatchObject({ name: 'error', code: '23505', message: 'duplicate key value violates unique constraint "u_pkey"', constraint: 'u_pkey', table: 'u', detail: 'Key (id)=(1) already exists.' });
    expect(isTransientDatabaseError(dup)).toBe(false);
    await expect(db.exec('SELEC 1')).rejects.toMatchObject({ code: '42601' });
    await expect(db.command('SELECT $1::int', ['x'])).rejects.toMatchObject({ code: '22P02' });
    // The database is fine after errors.
    expect(await db.query('SELECT count(*)::int AS n FROM u')).toEqual([{ n: 1 }]);
  });

  it('commits a transaction that resolves and rolls back one that throws, with the thrown error', async () => {
    await using db = disposable(await open(newDir()));
    await db.exec('CREATE TABLE t (x int)');
    expect(
      await db.transaction(async (tx) => {
        await tx.query('INSERT INTO t VALUES (1)');
        await tx.exec('INSERT INTO t VALUES (2)');
        return tx.command('INSERT INTO t VALUES (3), (4)');
      }),
    ).toBe(2);
    const boom = new Error('changed my mind');
    await expect(
      db.transaction(async (tx) => {
        await tx.query('INSERT INTO t VALUES (5)');
        throw boom;
      }),
    ).rejects.toBe(boom);
    // A failed statement fails the transaction: nothing of it is kept.
    await expect(
      db.transaction(async (tx) => {
        await tx.query('INSERT INTO t VALUES (6)');
        await tx.query('INSERT INTO nowhere VALUES (7)');
      }),
    ).rejects.toMatchObject({ code: '42P01' });
    expect((await db.query<{ x: number }>('SELECT x FROM t ORDER BY x')).map((r) => r.x)).toEqual([1, 2, 3, 4]);
  });

  it('runs concurrent transactions one after the other, and a statement outside waits for the open one', async () => {
    await using db = disposable(await open(newDir()));
    await db.exec('CREATE TABLE c (n int); INSERT INTO c VALUES (0)');
    const order: string[] = [];
    // Read, wait, write: interleaved, these would lose an increment.
    const increment = (name: string) =>
      db.transaction(async (tx) => {
        const [{ n }] = (await tx.query<{ n: number }>('SELECT n FROM c')) as [{ n: number }];
        order.push(`${name} read ${n}`);
        await sleep(30);
        await tx.query('UPDATE c SET n = $1', [n + 1]);
        order.push(`${name} ends`);
      });
    const outside = sleep(5).then(() => db.query<{ n: number }>('SELECT n FROM c'));
    await Promise.all([increment('a'), increment('b'), increment('c')]);
    expect(await db.query('SELECT n FROM c')).toEqual([{ n: 3 }]);
    expect(order).toEqual(['a read 0', 'a ends', 'b read 1', 'b ends', 'c read 2', 'c ends']);
    // Sent while `a` was open: it saw what `a` committed, not what it was in the middle of.
    expect([1, 2, 3]).toContain((await outside)[0]!.n);
  });

  it('keeps what was written in its data directory across a close and an open', async () => {
    const dir = newDir();
    const db = await open(dir);
    await db.exec("CREATE TABLE kept (x text); INSERT INTO kept VALUES ('yes')");
    await db.close();
    const again = await open(dir);
    expect(await again.query('SELECT x FROM kept')).toEqual([{ x: 'yes' }]);
    await again.close();
  });
});

describe('embedded PGlite in a worker thread', () => {
  it('ends its thread on close, and fails what comes after', async () => {
    const db = await openPgliteWorker(newDir());
    const exited = new Promise<number>((r) => db.worker.once('exit', r));
    await Promise.all([db.close(), db.close()]); // twice is once
    expect(await exited).toBe(0);
    await expect(db.query('SELECT 1')).rejects.toThrow(/closed/);
    await expect(db.transaction(async () => undefined)).rejects.toThrow(/closed/);
  });

  it('fails what waited on a thread that died, and everything after, as unavailable (transient), not hanging', async () => {
    const db = await openPgliteWorker(newDir());
    await db.exec('CREATE TABLE t (x int)');
    let inside!: () => void;
    const reached = new Promise<void>((r) => (inside = r));
    const tx = db.transaction(async (t) => {
      await t.query('INSERT INTO t VALUES (1)');
      inside();
      await sleep(50);
      return t.query('SELECT x FROM t');
    });
    await reached;
    const waiting = db.query('SELECT 1'); // waits for the transaction
    const outcome = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e);
    const before = [outcome(tx), outcome(waiting)];
    await db.worker.terminate(); // what a crash of the thread looks like to this side
    for (const err of await Promise.all([...before, outcome(db.query('SELECT 1')), outcome(db.transaction(async () => undefined))])) {
      expect(err).toMatchObject({ name: 'MayflyError', code: 'SERVICE_UNAVAILABLE' });
      expect(isTransientDatabaseError(err)).toBe(true);
    }
    await db.close(); // nothing left to close: resolves
  });

  it('rejects the open when PGlite can not start there, and leaves no thread behind', async () => {
    const file = join(root, 'a-file');
    writeFileSync(file, 'not a folder');
    await expect(openPgliteWorker(join(file, 'pg'))).rejects.toThrow();
  });

  it('does not keep a process alive that ends without closing it, as PGlite in its own thread does not', () => {
    const script = `import { openPgliteWorker } from ${JSON.stringify(new URL('./pglite-threaded.ts', import.meta.url).href)};
      const db = await openPgliteWorker(${JSON.stringify(newDir())});
      console.log(JSON.stringify(await db.query('SELECT 1 AS one')));`;
    const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
    expect([run.status, run.stdout.trim()]).toEqual([0, '[{"one":1}]']);
  });
});

/** `await using` for a database: closed at the end of the block. */
function disposable<D extends Database>(db: D): D & AsyncDisposable {
  return Object.assign(db, { [Symbol.asyncDispose]: () => db.close() });
}
