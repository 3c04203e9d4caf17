import type { Database } from '../../server/platform/db/database.ts';
import type { Broker } from '../../server/platform/nats/connect.ts';

/** Messages left in `stream` on `subject`, as STREAM.INFO with a subjects filter counts them. */
export async function messagesOn(broker: Broker, stream: string, subject: string): Promise<number> {
  const info = await broker.jsm.streams.info(stream, { subjects_filter: subject });
  return Object.values(info.state.subjects ?? {}).reduce((a, b) => a + b, 0);
}

/** Rows in any table of the schema whose text contains `needle`. */
export async function rowsHolding(db: Database, needle: string): Promise<number> {
  const tables = await db.query<{ table_name: string }>(
    "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
  );
  let n = 0;
  for (const { table_name } of tables) {
    const [row] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${table_name}" t WHERE t::text LIKE $1`, [`%${needle}%`]);
    n += row!.n;
  }
  return n;
}
