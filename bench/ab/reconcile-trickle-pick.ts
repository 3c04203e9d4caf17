// Paired A/B of the reconciler's trickle batch (few rows to delete, picked through the indexes):
// the pick evaluated inside each of the batch's three DELETE statements, as the reconciler does
// (`ctid = ANY(ARRAY(SELECT ctid ...))`), against the ctids picked once by a query of their own
// and passed to the statements as a `tid[]` parameter. Rounds alternate in order; each runs in a
// transaction that is rolled back, so every round deletes the same rows. On a private database
// of the PostgreSQL the tests use. Not part of `npm run bench` (a subfolder): run it by hand.
//
//   node --import tsx bench/ab/reconcile-trickle-pick.ts [--live 500000] [--expired 1000] [--rounds 31]
import { parseArgs } from 'node:util';
import pg from 'pg';
import { createPostgresDatabase } from '../../test/support/databases.ts';
import { median } from '../lib.ts';

const { values } = parseArgs({
  options: {
    live: { type: 'string', default: '500000' },
    expired: { type: 'string', default: '1000' },
    rounds: { type: 'string', default: '31' },
  },
});
const LIVE = Number(values.live);
const EXPIRED = Number(values.expired);
const SOURCE_GONE = 100;

await using database = await createPostgresDatabase();
const c = new pg.Client({ connectionString: database.url });
await c.connect();
try {
  await c.query('CREATE TABLE t (tenant text, id uuid, content text, expires_at timestamptz, last_seq bigint, PRIMARY KEY (tenant, id))');
  await c.query('CREATE INDEX ON t (expires_at)');
  await c.query('CREATE INDEX ON t (last_seq)');
  await c.query(`INSERT INTO t SELECT 'a', gen_random_uuid(), repeat('x', 64), now() + interval '1 day', 1000000 + g FROM generate_series(1, $1) g`, [LIVE]);
  // Expired rows, half with their message still in the broker; live rows whose message is gone.
  await c.query(`INSERT INTO t SELECT 'a', gen_random_uuid(), repeat('x', 64), now() - interval '1 hour', CASE WHEN g % 2 = 0 THEN 2000000 + g ELSE 10 END FROM generate_series(1, $1) g`, [EXPIRED]);
  await c.query(`INSERT INTO t SELECT 'a', gen_random_uuid(), repeat('x', 64), now() + interval '1 day', 5 FROM generate_series(1, $1)`, [SOURCE_GONE]);
  await c.query('VACUUM ANALYZE t');

  const args = [new Date().toISOString(), 100];
  const kinds = ['expires_at <= $1 AND last_seq < $2', 'expires_at <= $1 AND last_seq >= $2', 'expires_at > $1 AND last_seq < $2'];
  const pick = 'expires_at <= $1 OR last_seq < $2';
  const variants: Record<string, () => Promise<number>> = {
    'pick in each statement': async () => {
      let n = 0;
      for (const k of kinds) n += (await c.query(`DELETE FROM t WHERE ctid = ANY(ARRAY(SELECT ctid FROM t WHERE ${pick})) AND ${k} RETURNING id`, args)).rowCount ?? 0;
      return n;
    },
    'picked once, tid[]': async () => {
      const ctids = (await c.query<{ ctid: string }>(`SELECT ctid::text AS ctid FROM t WHERE ${pick}`, args)).rows.map((r) => r.ctid);
      let n = 0;
      for (const k of kinds) n += (await c.query(`DELETE FROM t WHERE ctid = ANY($3::tid[]) AND ${k} RETURNING id`, [...args, ctids])).rowCount ?? 0;
      return n;
    },
  };
  const names = Object.keys(variants);
  const times = new Map(names.map((name) => [name, [] as number[]]));
  for (let round = 0; round < Number(values.rounds); round++) {
    for (const name of round % 2 ? [...names].reverse() : names) {
      await c.query('BEGIN');
      const started = performance.now();
      const n = await variants[name]!();
      times.get(name)!.push(performance.now() - started);
      await c.query('ROLLBACK');
      if (n !== EXPIRED + SOURCE_GONE) throw new Error(`${name} deleted ${n} rows, not ${EXPIRED + SOURCE_GONE}`);
    }
  }
  const [a, b] = names.map((name) => median(times.get(name)!));
  console.log(JSON.stringify({ live: LIVE, expired: EXPIRED, rounds: Number(values.rounds), [`${names[0]} ms`]: a!.toFixed(2), [`${names[1]} ms`]: b!.toFixed(2), ratio: (b! / a!).toFixed(2) }));
} finally {
  await c.end();
}
