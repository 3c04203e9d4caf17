import { STREAMS } from '@mayfly/contracts';
import type { Database, Queryable } from '../../server/platform/db/database.ts';
import { MayflyError, notFound } from '../../server/platform/errors.ts';
import { decodeDelivery, type Delivery } from '../../server/platform/events/decode.ts';
import type { Broker } from '../../server/platform/nats/connect.ts';
import { isNoMessageFound } from '../../server/platform/nats/errors.ts';
import type { Projection } from '../projection/projection.ts';

/** An event a projector could not apply and set aside, as operators see it. */
export interface ParkedEvent {
  projection: string;
  stream: string;
  seq: number;
  subject: string;
  tenant: string | null;
  error: string;
  attempts: number;
  first_failed_at: string;
  last_failed_at: string;
}

/** What an error says, safe to keep and show: its code and first line, bounded. */
export function describeFailure(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown };
  const code = typeof e?.code === 'string' ? `${e.code}: ` : '';
  const text = typeof e?.message === 'string' ? e.message.split('\n')[0]! : String(err);
  return `${code}${text}`.slice(0, 300);
}

/** Records a parked event (or another failure of one already parked), in the caller's transaction. */
export async function park(
  tx: Queryable,
  p: { projection: string; stream: string; seq: number; subject: string; tenant: string | null; error: string; attempts: number; at: Date },
): Promise<void> {
  await tx.query(
    `INSERT INTO parked_events (projection, stream, seq, subject, tenant, error, attempts, first_failed_at, last_failed_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)
     ON CONFLICT (projection, seq) DO UPDATE SET error = excluded.error, attempts = parked_events.attempts + excluded.attempts,
       last_failed_at = excluded.last_failed_at`,
    [p.projection, p.stream, p.seq, p.subject, p.tenant, p.error, p.attempts, p.at.toISOString()],
  );
}

/** Every parked event, oldest first (of one projection when named). */
export async function listParked(q: Queryable, projection?: string): Promise<ParkedEvent[]> {
  const rows = await q.query<Omit<ParkedEvent, 'first_failed_at' | 'last_failed_at'> & { first_failed_at: Date; last_failed_at: Date }>(
    `SELECT projection, stream, seq, subject, tenant, error, attempts, first_failed_at, last_failed_at FROM parked_events
     ${projection ? 'WHERE projection = $1' : ''} ORDER BY first_failed_at, projection, seq LIMIT 1000`,
    projection ? [projection] : [],
  );
  return rows.map((r) => ({ ...r, first_failed_at: new Date(r.first_failed_at).toISOString(), last_failed_at: new Date(r.last_failed_at).toISOString() }));
}

/** Forgets a parked event: it stays unapplied. False when there was none. */
export async function dropParked(q: Queryable, projection: string, seq: number): Promise<boolean> {
  return (await q.command('DELETE FROM parked_events WHERE projection = $1 AND seq = $2', [projection, seq])) > 0;
}

/**
 * Applies a parked event again (its cause fixed), out of stream order but with the projector
 * paused for that transaction (the checkpoint row is locked), and forgets it. A row projection
 * keeps whichever state is newer; an aggregate adds what was missing. 404 when nothing is
 * parked there, 410 when its message has left the stream, 422 with the error when it fails
 * again (it stays parked, one attempt more).
 */
export async function retryParked(deps: { db: Database; broker: Broker; projections: readonly Projection[]; now: () => Date }, projection: string, seq: number): Promise<void> {
  const p = deps.projections.find((x) => x.name === projection);
  const [row] = await deps.db.query<{ stream: string }>('SELECT stream FROM parked_events WHERE projection = $1 AND seq = $2', [projection, seq]);
  if (!p || !row) throw notFound('parked event');
  let delivery: Delivery | undefined;
  try {
    const m = await deps.broker.jsm.direct.getMessage(row.stream, { seq });
    delivery = m ? decodeDelivery(m) : undefined;
  } catch (err) {
    if (!isNoMessageFound(err)) throw err;
  }
  if (!delivery) {
    await dropParked(deps.db, projection, seq);
    throw new MayflyError('GONE', 'the parked event has left its stream (expired or purged); it was dropped');
  }
  try {
    await deps.db.transaction(async (tx) => {
      await tx.query('SELECT last_seq FROM projection_checkpoints WHERE projection = $1 AND stream = $2 FOR UPDATE', [projection, STREAMS[p.stream].name]);
      await p.apply(tx, [delivery], deps.now());
      await tx.query('DELETE FROM parked_events WHERE projection = $1 AND seq = $2', [projection, seq]);
    });
  } catch (err) {
    const error = describeFailure(err);
    await park(deps.db, { projection, stream: row.stream, seq, subject: delivery.subject, tenant: 'event' in delivery ? delivery.event.tenant : null, error, attempts: 1, at: deps.now() });
    throw new MayflyError('UNPROCESSABLE_CONTENT', `the event still fails: ${error}`);
  }
}
