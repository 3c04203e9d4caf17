import type { Database } from '../../server/platform/db/database.ts';
import type { Broker } from '../../server/platform/nats/connect.ts';
import { MARKER_REASON_HEADER } from '../../server/platform/nats/message-ttl.ts';

/**
 * Messages left in `stream` on `subject` (a filter), as STREAM.INFO with a subjects filter
 * counts them, not counting subject delete markers (2.11+): a marker is written when a
 * subject's last message expires, so a subject whose last message is a marker holds no data.
 */
export async function messagesOn(broker: Broker, stream: string, subject: string): Promise<number> {
  const info = await broker.jsm.streams.info(stream, { subjects_filter: subject });
  let n = 0;
  for (const [subj, count] of Object.entries(info.state.subjects ?? {})) {
    const last = await broker.jsm.direct.getMessage(stream, { last_by_subj: subj }).catch(() => null);
    n += last?.header?.get(MARKER_REASON_HEADER) ? count - 1 : count;
  }
  return n;
}

/** Rows in any table of the schema whose text contains `needle`. */
export async function rowsHolding(db: Database, needle: string): Promise<number> {
  const tables = await db.query<{ table_name: string }>(
    "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
  );
  let n = 0;
  for (const { table_name } of tables) {
    // strpos, not LIKE: `_` and `%` in app ids are wildcards to LIKE.
    const [row] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${table_name}" t WHERE strpos(t::text, $1) > 0`, [needle]);
    n += row!.n;
  }
  return n;
}

/** Raw messages of `stream` (subjects and payloads, read with an ordered consumer) whose subject or body contains `needle`. */
export async function messagesHolding(broker: Broker, stream: string, needle: string): Promise<{ seq: number; subject: string }[]> {
  const { state } = await broker.jsm.streams.info(stream);
  if (state.messages === 0) return [];
  const consumer = await broker.js.consumers.get(stream);
  const found: { seq: number; subject: string }[] = [];
  for (let seen = 0; seen < state.messages; ) {
    const batch = await consumer.fetch({ max_messages: 500, expires: 2_000 });
    let got = 0;
    for await (const m of batch) {
      got++;
      if (m.subject.includes(needle) || new TextDecoder().decode(m.data).includes(needle)) found.push({ seq: m.seq, subject: m.subject });
      if (m.seq >= state.last_seq) break;
    }
    if (got === 0) break;
    seen += got;
  }
  return found;
}
