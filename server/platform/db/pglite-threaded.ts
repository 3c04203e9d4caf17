import { Worker } from 'node:worker_threads';
import { unavailable } from '../errors.ts';
import { copyStatement, copyText, PGLITE_COPY_SOURCE, type Database, type Queryable } from './database.ts';
import type { WireError, WorkerOptions, WorkerReply, WorkerRequest } from './pglite-worker.ts';

/**
 * Where `npm start`'s bundle keeps its entry points (set by `scripts/start.mjs`): the thread's
 * entry is bundled beside the service's. Elsewhere (tsx, the tests, Deno) the thread runs the
 * TypeScript source beside this file.
 */
const BUNDLE = Symbol.for('mayfly.bundle');

/** The thread's entry: the bundled one under `npm start`, else the TypeScript source beside this file. */
function workerEntry(): { entry: URL | string; eval: boolean } {
  const bundle = (globalThis as { [BUNDLE]?: string })[BUNDLE];
  if (bundle) return { entry: new URL('server/platform/db/pglite-worker.js', bundle), eval: false };
  const source = new URL('./pglite-worker.ts', import.meta.url);
  // Deno runs TypeScript in a worker as it does everywhere. Node needs tsx's loader in the
  // thread, and on Node 20 a thread does not get it from `--import tsx` (nor has a vitest
  // process one to hand down): the thread registers it before loading its entry.
  if ('Deno' in globalThis) return { entry: source, eval: false };
  const tsx = import.meta.resolve('tsx/esm/api');
  return { entry: `import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(source.href)}); });`, eval: true };
}

/** An error from the thread, as the caller would have had it in this thread: message, name, SQLSTATE `code` and the other fields. */
function fromWire(w: WireError): Error {
  const err = new Error(w.message);
  Object.assign(err, w.fields);
  err.name = w.name;
  return err;
}

interface Pending {
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

/** The `Database` of `openPgliteWorker`; `worker` is the thread (tests end it to see a crash handled). */
export interface WorkerDatabase extends Database {
  readonly worker: Worker;
}

/**
 * Embedded Postgres in a worker thread of its own: PGlite (WebAssembly Postgres) and every
 * statement it runs, projections included, stay off the event loop that serves HTTP (it was a
 * quarter of the write path's CPU there, and most of its tail latency; BENCHMARKS.md).
 * Statements and rows cross by structured clone; errors keep their SQLSTATE `code`. A
 * transaction runs inside PGlite's own `transaction` in the thread, its statements sent one by
 * one as `fn` makes them, so PGlite serialises it against everything else as before. A thread
 * that dies fails what was waiting on it, and everything after, as unavailable (transient).
 */
export async function openPgliteWorker(dataDir: string | undefined, opts: { template?: string } = {}): Promise<WorkerDatabase> {
  const { entry, eval: evaluate } = workerEntry();
  const workerData: WorkerOptions = { dataDir, template: opts.template };
  const worker = new Worker(entry, { workerData, eval: evaluate });
  const pending = new Map<number, Pending>();
  let nextId = 1;
  let nextTx = 1;
  let gone: Error | undefined; // why the thread can take no more requests
  let closing: Promise<void> | undefined;

  // The thread keeps the process alive only while something waits on it, as PGlite in this
  // thread did: a process that forgets to close its database still ends.
  const settle = (id: number) => {
    const p = pending.get(id);
    pending.delete(id);
    if (pending.size === 0) worker.unref();
    return p;
  };
  const failAll = (err: Error) => {
    gone ??= err;
    for (const id of [...pending.keys()]) settle(id)?.reject(err);
  };

  const ready = new Promise<void>((resolve, reject) => {
    worker.on('message', (r: WorkerReply) => {
      if ('id' in r) {
        const p = settle(r.id);
        if (r.ok) p?.resolve(r.value);
        else p?.reject(fromWire(r.error));
      } else if (r.op === 'ready') resolve();
      else reject(fromWire(r.error));
    });
    worker.on('error', (err) => {
      reject(err);
      failAll(unavailable('the embedded database failed; try again', err));
    });
    worker.on('exit', (code) => {
      const err = new Error(`the embedded database's thread ended (exit code ${code})`);
      reject(err);
      failAll(closing ? new Error('the database is closed') : unavailable('the embedded database stopped; try again', err));
    });
  });

  const send = (req: WorkerRequest) => worker.postMessage(req);
  const call = <T>(req: Extract<WorkerRequest, { id: number }> extends infer R ? (R extends unknown ? Omit<R, 'id'> : never) : never) =>
    new Promise<T>((resolve, reject) => {
      if (gone) return reject(gone);
      const id = nextId++;
      if (pending.size === 0) worker.ref();
      pending.set(id, { resolve: resolve, reject });
      send({ ...req, id });
    });

  const queryable = (tx: number | undefined): Queryable => ({
    query: <R>(sql: string, params?: unknown[]) => call<R[]>({ op: 'query', sql, params, tx }),
    command: (sql: string, params?: unknown[]) => call<number>({ op: 'command', sql, params, tx }),
    exec: (sql: string) => call<void>({ op: 'exec', sql, tx }),
    copyFrom: (table, columns, rows) => call<void>({ op: 'copy', sql: copyStatement(table, columns, PGLITE_COPY_SOURCE), data: copyText(rows), tx }),
  });

  /**
   * PGlite shuts down cleanly in the thread, which then ends by itself on Node (ended for it if
   * it has not in 5 s); on Deno, whose worker port can not be closed from inside, at once.
   */
  const closeThread = async () => {
    const exited = new Promise((r) => worker.once('exit', r));
    await call<void>({ op: 'close' });
    worker.ref();
    const timer = setTimeout(() => void worker.terminate(), 'Deno' in globalThis ? 0 : 5_000);
    await exited;
    clearTimeout(timer);
  };

  worker.ref();
  try {
    await ready;
  } catch (err) {
    await worker.terminate();
    throw err;
  }
  worker.unref();

  return {
    kind: 'pglite',
    worker,
    ...queryable(undefined),
    async transaction(fn) {
      if (gone) throw gone;
      const tx = nextTx++;
      // No answer to wait for: the statements queue behind the begin in the thread.
      send({ op: 'begin', tx });
      let result;
      try {
        result = await fn(queryable(tx));
      } catch (err) {
        await call({ op: 'rollback', tx }).catch(() => undefined);
        throw err;
      }
      await call({ op: 'commit', tx });
      return result;
    },
    close() {
      closing ??= gone ? Promise.resolve() : closeThread();
      return closing;
    },
  };
}
