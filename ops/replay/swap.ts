import { Lease } from '../../consumers/jobs/lease.ts';
import { sleep } from '../../server/platform/sleep.ts';
import type { Projection } from '../../consumers/projection/projection.ts';
import type { Queryable } from '../../server/platform/db/database.ts';
import { applyBatch } from './apply.ts';
import { decodeBatch } from './decode.ts';
import { readStream } from './read-stream.ts';
import type { ReplayDeps } from './deps.ts';
import { finishRun, type RunRow } from './runs.ts';
import { dropShadow, ident, qualified, swapIn, useShadow } from './shadow.ts';

/** What a swap works on. */
export interface SwapContext {
  deps: ReplayDeps;
  projection: Projection;
  stream: string;
  table: string;
  live: string;
  schema: string;
  run: RunRow;
  batchSize: number;
  filter: string | undefined;
}

/** What a swap did. */
export interface SwapOutcome {
  /** Checkpoint before and after the swap. */
  before: number;
  after: number;
  /** Events applied during the swap (to the shadow, or to the live table to bring it level). */
  applied: number;
  lastSeq: number;
  rows: number;
}

/** Applies `from..to` (inclusive, matching `filter`) in `tx` to whatever the search path names. */
async function applyRange(tx: Queryable, c: SwapContext, filter: string | undefined, from: number, to: number): Promise<{ applied: number; lastSeq: number }> {
  let applied = 0;
  let lastSeq = from - 1;
  for await (const batch of readStream(c.deps.broker, { stream: c.stream, filter, fromSeq: from, toSeq: to, batchSize: c.batchSize })) {
    const decoded = decodeBatch(batch.msgs);
    applied += await applyBatch(tx, (t, fresh, now) => c.projection.apply(t, fresh, now), decoded, from - 1, c.deps.now());
    lastSeq = decoded.lastSeq;
  }
  return { applied, lastSeq };
}

async function lockCheckpoint(tx: Queryable, c: SwapContext): Promise<number> {
  await tx.query('INSERT INTO projection_checkpoints (projection, stream) VALUES ($1, $2) ON CONFLICT DO NOTHING', [c.projection.name, c.stream]);
  const [row] = await tx.query<{ last_seq: number }>(
    'SELECT last_seq FROM projection_checkpoints WHERE projection = $1 AND stream = $2 FOR UPDATE',
    [c.projection.name, c.stream],
  );
  return row?.last_seq ?? 0;
}

const setCheckpoint = (tx: Queryable, c: SwapContext, seq: number) =>
  tx.query('UPDATE projection_checkpoints SET last_seq = $3, updated_at = now() WHERE projection = $1 AND stream = $2', [c.projection.name, c.stream, seq]);

/** The whole table: the shadow catches up to the head, takes the live table's place, and the checkpoint is set to the head. */
export async function swapAll(c: SwapContext): Promise<SwapOutcome> {
  const { db, broker } = c.deps;
  let seized: Lease | undefined;
  let renewer: ReturnType<typeof setInterval> | undefined;
  try {
    for (;;) {
      const outcome = await db.transaction(async (tx): Promise<SwapOutcome | 'needs-lease'> => {
        const before = await lockCheckpoint(tx, c);
        const head = (await broker.jsm.streams.info(c.stream)).state.last_seq;
        // Going back needs the projector to re-seat its consumer: that takes its lease.
        if (before > head && !seized) return 'needs-lease';
        await useShadow(tx, c.schema);
        const { applied, lastSeq } = await applyRange(tx, c, c.filter, c.run.last_seq + 1, head);
        await useShadow(tx, undefined);
        await swapIn(tx, c.live, c.schema, c.table);
        await setCheckpoint(tx, c, head);
        await finishRun(tx, c.run.id, Math.max(lastSeq, c.run.last_seq), head);
        const [n] = await tx.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${qualified(c.live, c.table)}`);
        return { before, after: head, applied, lastSeq: Math.max(lastSeq, c.run.last_seq), rows: n?.n ?? 0 };
      });
      if (outcome !== 'needs-lease') return outcome;
      seized = new Lease(c.deps.leases, `projection.${c.projection.name}`, c.deps.holder);
      await seized.seize();
      renewer = setInterval(() => void seized?.renew(), Math.max(100, c.deps.leaseTtlMs / 3));
      // The holder notices at its next renewal (within a third of the lease) and finishes its
      // batch in flight: after a whole lease length it is certainly standing by.
      await sleep(c.deps.leaseTtlMs);
    }
  } finally {
    clearInterval(renewer);
    await seized?.release();
  }
}

/**
 * One app's rows: the shadow is brought to exactly the checkpoint the live table reflects (or
 * the live table to the shadow's, when the projector is behind), then that app's rows are
 * replaced in one transaction. Other apps' rows are never touched.
 */
export async function swapApp(c: SwapContext, appId: string): Promise<SwapOutcome> {
  const { db } = c.deps;
  const outcome = await db.transaction(async (tx): Promise<SwapOutcome> => {
    const before = await lockCheckpoint(tx, c);
    let after = before;
    let applied = 0;
    if (c.run.last_seq < before) {
      await useShadow(tx, c.schema);
      applied = (await applyRange(tx, c, c.filter, c.run.last_seq + 1, before)).applied;
      await useShadow(tx, undefined);
    } else if (c.run.last_seq > before) {
      // The live projection is behind the shadow: bring it level for every app, as its projector would.
      await useShadow(tx, undefined);
      applied = (await applyRange(tx, c, undefined, before + 1, c.run.last_seq)).applied;
      after = c.run.last_seq;
      await setCheckpoint(tx, c, after);
    }
    const live = qualified(c.live, c.table);
    const cols = await tx.query<{ name: string }>(
      'SELECT column_name AS name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position',
      [c.schema, c.table],
    );
    const list = cols.map((col) => ident(col.name)).join(', ');
    await tx.query(`DELETE FROM ${live} WHERE tenant = $1`, [appId]);
    await tx.query(`INSERT INTO ${live} (${list}) SELECT ${list} FROM ${qualified(c.schema, c.table)}`);
    await finishRun(tx, c.run.id, Math.max(before, c.run.last_seq), after);
    const [n] = await tx.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${live} WHERE tenant = $1`, [appId]);
    return { before, after, applied, lastSeq: Math.max(before, c.run.last_seq), rows: n?.n ?? 0 };
  });
  await dropShadow(db, c.schema);
  return outcome;
}
