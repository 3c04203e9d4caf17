// The thread that owns the embedded database (`openPgliteWorker` starts it): PGlite, its
// WebAssembly Postgres and every statement run against it, off the thread that serves HTTP.
// It answers requests from its parent over the worker port, one message each way per statement.
import { parentPort, workerData } from 'node:worker_threads';
import type { PGlite, Transaction } from '@electric-sql/pglite';
import { copyInto, createPglite } from './pglite.ts';

/** What the parent asks. `tx` names an open transaction (one `begin`, then its statements, then `commit` or `rollback`). */
export type WorkerRequest = Statement | TransactionEnd | { op: 'begin'; tx: number } | { id: number; op: 'close' };
/**
 * One statement, in an open transaction when `tx` is set (`exec` takes no parameters). `copy`
 * runs a `COPY ... FROM '/dev/blob'` with `data`, rows in COPY's text format.
 */
export interface Statement {
  id: number;
  op: 'query' | 'command' | 'exec' | 'copy';
  sql: string;
  params?: unknown[];
  data?: string;
  tx?: number;
}
export interface TransactionEnd {
  id: number;
  op: 'commit' | 'rollback';
  tx: number;
}

/** An error as it crosses the thread boundary: a database error's SQLSTATE `code` and other fields kept. */
export interface WireError {
  name: string;
  message: string;
  fields: Record<string, string | number | boolean>;
}

/** What the thread answers: `ready`/`failed` once after opening, then one reply per request with an `id`. */
export type WorkerReply =
  | { op: 'ready' }
  | { op: 'failed'; error: WireError }
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: WireError };

/** What the thread is started with. */
export interface WorkerOptions {
  dataDir: string | undefined;
  template: string | undefined;
}

/** Keeps what a caller may look at (a database error's `code`, `detail`, `constraint`, ...); the rest does not survive a structured clone. */
export function toWire(err: unknown): WireError {
  if (!(err instanceof Error)) return { name: 'Error', message: String(err), fields: {} };
  const fields: Record<string, string | number | boolean> = {};
  for (const [k, v] of Object.entries(err)) {
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') fields[k] = v;
  }
  return { name: err.name, message: err.message, fields };
}

// A statement of a transaction, or its end, waiting for the transaction's turn.
type Step = Statement | TransactionEnd;

/** One open transaction: its steps in arrival order, run inside `pg.transaction` so PGlite's own lock holds it. */
class OpenTransaction {
  readonly #steps: Step[] = [];
  #wake: (() => void) | undefined;

  push(step: Step): void {
    this.#steps.push(step);
    this.#wake?.();
  }

  async #next(): Promise<Step> {
    while (this.#steps.length === 0) await new Promise<void>((r) => (this.#wake = r));
    this.#wake = undefined;
    return this.#steps.shift()!;
  }

  /** Runs the transaction to its end; returns the ending step (answered by the caller once PGlite has committed or rolled back). */
  async run(pg: PGlite): Promise<void> {
    let end: Step | undefined;
    try {
      await pg.transaction(async (tx) => {
        for (;;) {
          const step = await this.#next();
          if (!('sql' in step)) {
            end = step;
            if (step.op === 'rollback') throw ROLLBACK;
            return;
          }
          await answer(step, tx);
        }
      });
      if (end) reply({ id: end.id, ok: true, value: undefined });
    } catch (err) {
      if (end?.op === 'rollback' && err === ROLLBACK) reply({ id: end.id, ok: true, value: undefined });
      else if (end) reply({ id: end.id, ok: false, error: toWire(err) });
      // The transaction never started (the database is closing): everything sent to it fails.
      for (const step of end ? [] : this.#steps.splice(0)) reply({ id: step.id, ok: false, error: toWire(err) });
    }
  }
}
const ROLLBACK = Symbol('rollback');

const port = parentPort!;
const reply = (r: WorkerReply) => port.postMessage(r);

/** Runs one statement and answers it. */
async function answer(req: Statement, q: PGlite | Transaction): Promise<void> {
  try {
    if (req.op === 'exec') {
      await q.exec(req.sql);
      reply({ id: req.id, ok: true, value: undefined });
    } else if (req.op === 'copy') {
      await copyInto(q, req.sql, req.data ?? '');
      reply({ id: req.id, ok: true, value: undefined });
    } else {
      const res = await q.query(req.sql, req.params);
      reply({ id: req.id, ok: true, value: req.op === 'query' ? res.rows : (res.affectedRows ?? 0) });
    }
  } catch (err) {
    reply({ id: req.id, ok: false, error: toWire(err) });
  }
}

function serve(pg: PGlite): void {
  const open = new Map<number, OpenTransaction>();
  port.on('message', (req: WorkerRequest) => {
    switch (req.op) {
      case 'begin': {
        const t = new OpenTransaction();
        open.set(req.tx, t);
        void t.run(pg).finally(() => open.delete(req.tx));
        return;
      }
      case 'query':
      case 'command':
      case 'exec':
      case 'copy':
      case 'commit':
      case 'rollback': {
        if (req.tx === undefined) return void answer(req as Statement, pg);
        const t = open.get(req.tx);
        if (t) t.push(req);
        else reply({ id: req.id, ok: false, error: { name: 'Error', message: 'the transaction has ended', fields: {} } });
        return;
      }
      case 'close':
        void pg.close().then(
          () => {
            reply({ id: req.id, ok: true, value: undefined });
            // Nothing else keeps the thread alive: it ends (Deno's port has no close; the parent ends the thread there).
            if (typeof port.close === 'function') port.close();
          },
          (err: unknown) => reply({ id: req.id, ok: false, error: toWire(err) }),
        );
        return;
      default: {
        const never: never = req;
        throw new Error(`unknown request ${JSON.stringify(never)}`);
      }
    }
  });
}

const opts = workerData as WorkerOptions;
createPglite(opts.dataDir, { template: opts.template }).then(
  (pg) => {
    serve(pg);
    reply({ op: 'ready' });
  },
  (err: unknown) => {
    reply({ op: 'failed', error: toWire(err) });
    if (typeof port.close === 'function') port.close();
  },
);
