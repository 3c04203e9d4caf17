import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { draftSubject } from '@mayfly/contracts';
import type { Delivery } from '../../consumers/projection/projection.ts';
import type { Database } from '../../server/platform/db/database.ts';
import { migrate } from '../../server/platform/db/migrate.ts';
import { openDatabase } from '../../server/platform/db/open.ts';
import { newEvent } from '../../server/platform/events/publisher.ts';
import { catalog } from '../../server/modules/index.ts';
import { DATABASES, testDatabaseUrl, type TestDatabase } from '../../test/support/databases.ts';
import { addKeys, createShadow, hasKeys, liveSchema, useShadow } from './shadow.ts';

const drafts = catalog.projections.find((p) => p.name === 'drafts')!;
const NOW = new Date('2026-12-01T12:00:00Z');

/** A small deterministic generator, so a failure can be run again as it was. */
function random(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/**
 * A draft stream's history in stream order: items saved, saved again, deleted, saved after
 * their deletion, saved already expired, and dropped by the broker (delete markers).
 */
function history(seed: number, n: number): Delivery[] {
  const rnd = random(seed);
  const ids = Array.from({ length: 60 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
  const tenants = ['bulk.a', 'bulk.b'];
  const out: Delivery[] = [];
  for (let seq = 1; seq <= n; seq++) {
    const tenant = tenants[Math.floor(rnd() * tenants.length)]!;
    const id = ids[Math.floor(rnd() * ids.length)]!;
    const subject = draftSubject(tenant, id);
    const roll = rnd();
    if (roll < 0.15) {
      out.push({ seq, subject, event: newEvent('draft.deleted', tenant, { draft_id: id }, NOW) });
    } else if (roll < 0.2) {
      out.push({ seq, subject, expired: true });
    } else {
      const expired = roll < 0.27;
      const expiresAt = new Date(NOW.getTime() + (expired ? -60_000 : 3_600_000)).toISOString();
      out.push({ seq, subject, event: newEvent('draft.saved', tenant, { draft_id: id, content: `v${seq}`, created_at: NOW.toISOString(), expires_at: expiresAt }, NOW) });
    }
  }
  return out;
}

/** `deliveries` cut into batches of random sizes. */
function batches(deliveries: Delivery[], seed: number, max: number): Delivery[][] {
  const rnd = random(seed);
  const out: Delivery[][] = [];
  for (let i = 0; i < deliveries.length; ) {
    const size = 1 + Math.floor(rnd() * max);
    out.push(deliveries.slice(i, i + size));
    i += size;
  }
  return out;
}

describe.each(DATABASES)('bulk load of a row projection on $name', ({ name, skip }) => {
  let database: TestDatabase;
  let db: Database;
  let live: string;

  beforeAll(async () => {
    if (skip) return;
    database = await testDatabaseUrl(name);
    db = await openDatabase(database.url, '.');
    await migrate(db, catalog.migrations);
    live = await liveSchema(db);
  });
  afterAll(async () => {
    await db?.close();
    await database?.drop();
  });

  /** The table `apply` makes of `parts` (keyed), or the bulk load (unkeyed, then settled and keyed); and the purges each queued. */
  async function build(schema: string, parts: Delivery[][], how: 'apply' | 'bulk') {
    await db.query('DELETE FROM purge_queue');
    await db.transaction(async (tx) => {
      await createShadow(tx, schema, live, 'drafts', { keyed: how === 'apply' });
      await useShadow(tx, schema);
      if (how === 'bulk') await drafts.bulk!.begin(tx);
    });
    expect(await hasKeys(db, schema, 'drafts')).toBe(how === 'apply');
    for (const part of parts) {
      await db.transaction(async (tx) => {
        await useShadow(tx, schema);
        await (how === 'apply' ? drafts.apply(tx, part, NOW) : drafts.bulk!.append(tx, part, NOW));
      });
    }
    if (how === 'bulk') {
      await db.transaction(async (tx) => {
        await useShadow(tx, schema);
        await drafts.bulk!.settle(tx);
        await addKeys(tx, live, schema, 'drafts');
      });
    }
    const rows = await db.query(`SELECT tenant, id, content, expires_at, last_seq FROM "${schema}".drafts ORDER BY tenant, id`);
    const purges = await db.query('SELECT stream, subject, up_to_seq FROM purge_queue ORDER BY subject, up_to_seq');
    return { rows, purges };
  }

  it.skipIf(skip)('ends with exactly the rows and purges that applying the same batches does', async () => {
    for (const seed of [1, 2, 3]) {
      const deliveries = history(seed, 1_500);
      const parts = batches(deliveries, seed, seed === 1 ? 7 : 120);
      const applied = await build(`bulk_apply_${seed}`, parts, 'apply');
      const loaded = await build(`bulk_load_${seed}`, parts, 'bulk');
      expect(applied.rows.length).toBeGreaterThan(10); // the history leaves items of every kind
      expect(loaded.rows).toEqual(applied.rows);
      expect(loaded.purges).toEqual(applied.purges);
      // Keyed as the live table is, with nothing left beside it.
      expect(await hasKeys(db, `bulk_load_${seed}`, 'drafts')).toBe(true);
      const left = await db.query("SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1", [`bulk_load_${seed}`]);
      expect(left).toEqual([{ table_name: 'drafts' }]);
    }
  });

  it.skipIf(skip)('prunes the rows of items gone since they were appended, and what it applied, before it settles', async () => {
    const [tenant, id] = ['bulk.prune', '00000000-0000-4000-8000-0000000000aa'];
    const subject = draftSubject(tenant, id);
    const saved = (seq: number): Delivery => ({
      seq,
      subject,
      event: newEvent('draft.saved', tenant, { draft_id: id, content: `v${seq}`, created_at: NOW.toISOString(), expires_at: new Date(NOW.getTime() + 3_600_000).toISOString() }, NOW),
    });
    const deleted: Delivery = { seq: 2, subject, event: newEvent('draft.deleted', tenant, { draft_id: id }, NOW) };
    await db.transaction(async (tx) => {
      await createShadow(tx, 'bulk_prune', live, 'drafts', { keyed: false });
      await useShadow(tx, 'bulk_prune');
      await drafts.bulk!.begin(tx);
    });
    const step = (f: (tx: Parameters<Parameters<Database['transaction']>[0]>[0]) => Promise<unknown>) =>
      db.transaction(async (tx) => {
        await useShadow(tx, 'bulk_prune');
        return f(tx);
      });
    await step((tx) => drafts.bulk!.append(tx, [saved(1)], NOW));
    await step((tx) => drafts.bulk!.append(tx, [deleted], NOW));
    expect(await step((tx) => drafts.bulk!.prune(tx))).toBe(1);
    expect(await db.query('SELECT count(*)::int AS n FROM bulk_prune.drafts__gone')).toEqual([{ n: 0 }]);
    await step((tx) => drafts.bulk!.append(tx, [saved(3)], NOW));
    expect(await step((tx) => drafts.bulk!.prune(tx))).toBe(0);
    await step((tx) => drafts.bulk!.settle(tx));
    expect(await db.query('SELECT content FROM bulk_prune.drafts')).toEqual([{ content: 'v3' }]);
  });

  it.skipIf(skip)('takes upserts once keyed: a load resumed after its keys were built goes on with apply', async () => {
    const deliveries = history(9, 600);
    const whole = await build('bulk_whole', [deliveries], 'apply');
    const loaded = await build('bulk_first', [deliveries.slice(0, 400)], 'bulk');
    expect(loaded.rows).not.toEqual(whole.rows);
    await db.transaction(async (tx) => {
      await useShadow(tx, 'bulk_first');
      await drafts.apply(tx, deliveries.slice(400), NOW);
    });
    expect(await db.query('SELECT tenant, id, content, expires_at, last_seq FROM bulk_first.drafts ORDER BY tenant, id')).toEqual(whole.rows);
  });
});
