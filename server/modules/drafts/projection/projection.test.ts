import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { draftSubject } from '@mayfly/contracts';
import type { Database } from '../../../platform/db/database.ts';
import { newEvent } from '../../../platform/events/publisher.ts';
import { DATABASES } from '../../../../test/support/databases.ts';
import { projectionSpec, specDatabase } from '../../../../test/support/projection-spec.ts';
import { draftsProjection } from './index.ts';

const now = new Date('2026-06-01T12:00:00Z');
const inAnHour = '2026-06-01T13:00:00.000Z';
const aMinuteAgo = '2026-06-01T11:59:00.000Z';
const A = '0b6e4a1c-2f3d-4e5f-8a9b-0c1d2e3f4a5b';
const B = '1c7f5b2d-3a4e-4f60-9bac-1d2e3f4a5b6c';

const saved = (tenant: string, id: string, content: string, expires_at = inAnHour) =>
  newEvent('draft.saved', tenant, { draft_id: id, content, created_at: '2026-06-01T11:00:00.000Z', expires_at }, now);
const deleted = (tenant: string, id: string) => newEvent('draft.deleted', tenant, { draft_id: id }, now);
const row = (tenant: string, id: string, content: string, last_seq: number) => ({
  tenant,
  id,
  content,
  created_at: '2026-06-01T11:00:00.000Z',
  expires_at: inAnHour,
  last_seq,
});

describe.each(DATABASES)('the drafts projection ($name)', ({ name, skip }) => {
  let db: Database & AsyncDisposable;
  beforeAll(async () => {
    if (!skip) db = await specDatabase(name);
  });
  afterAll(async () => {
    await db?.[Symbol.asyncDispose]();
  });
  const spec = projectionSpec(() => db, draftsProjection);

  it.skipIf(skip)('keeps each draft as its last save says, per app', async () => {
    const { rows, purges } = await spec
      .given({ seq: 1, event: saved('com.example.a', A, 'one') }, { seq: 2, event: saved('com.example.b', A, 'other app') }, { seq: 3, event: saved('com.example.a', A, 'two') })
      .when({ now });
    expect(rows).toEqual([row('com.example.a', A, 'two', 3), row('com.example.b', A, 'other app', 2)]);
    expect(purges).toEqual([]);
  });

  it.skipIf(skip)('removes a deleted draft and queues the purge of its messages up to the delete', async () => {
    const { rows, purges } = await spec.given({ seq: 5, event: saved('a', A, 'x') }, { seq: 6, event: deleted('a', A) }).when({ now, batchSize: 1 });
    expect(rows).toEqual([]);
    expect(purges).toEqual([{ stream: 'DRAFTS', subject: draftSubject('a', A), up_to_seq: 7 }]);
  });

  it.skipIf(skip)('writes no draft that has already expired, and purges it below its own sequence only', async () => {
    const { rows, purges } = await spec.given({ seq: 9, event: saved('a', A, 'old', aMinuteAgo) }).when({ now });
    expect(rows).toEqual([]);
    expect(purges).toEqual([{ stream: 'DRAFTS', subject: draftSubject('a', A), up_to_seq: 10 }]);
  });

  it.skipIf(skip)('keeps a draft whose expired save a later save superseded, whatever the batches', async () => {
    for (const batchSize of [1, 2]) {
      const { rows, purges } = await spec
        .given({ seq: 10, event: saved('a', A, 'short-lived', aMinuteAgo) }, { seq: 11, event: saved('a', B, 'b') }, { seq: 12, event: saved('a', A, 'longer') })
        .when({ now, batchSize });
      expect(rows, `batches of ${batchSize}`).toEqual([row('a', A, 'longer', 12), row('a', B, 'b', 11)]);
      // Whatever was queued may remove the expired save only, never the newer one.
      for (const p of purges) expect(p.up_to_seq).toBeLessThanOrEqual(11);
    }
  });

  it.skipIf(skip)('forgets a draft whose messages the broker expired (a delete marker), with nothing to purge', async () => {
    const { rows, purges } = await spec
      .given({ seq: 1, event: saved('a', A, 'x') }, { seq: 2, event: saved('a', B, 'y') }, { seq: 3, subject: draftSubject('a', A), expired: true })
      .when({ now, batchSize: 2 });
    expect(rows).toEqual([row('a', B, 'y', 2)]);
    expect(purges).toEqual([]);
  });

  it.skipIf(skip)('never lets an older sequence overwrite a newer row', async () => {
    const { rows } = await spec.given({ seq: 8, event: saved('a', A, 'new') }, { seq: 4, event: saved('a', A, 'old') }).when({ now, batchSize: 1 });
    expect(rows).toEqual([row('a', A, 'new', 8)]);
  });
});

describe.each(DATABASES)('the drafts projection, whatever the batches ($name)', ({ name, skip }) => {
  let db: Database & AsyncDisposable;
  beforeAll(async () => {
    if (!skip) db = await specDatabase(name);
  });
  afterAll(async () => {
    await db?.[Symbol.asyncDispose]();
  });
  const spec = projectionSpec(() => db, draftsProjection);

  // A history: saves (live or already expired), deletes and delete markers of a few drafts of
  // two apps, in stream order.
  const ids = [A, B];
  type Step = { kind: 'save'; tenant: string; id: string; live: boolean } | { kind: 'delete'; tenant: string; id: string } | { kind: 'marker'; tenant: string; id: string };
  const step: fc.Arbitrary<Step> = fc.oneof(
    fc.record({ kind: fc.constant('save' as const), tenant: fc.constantFrom('a', 'b'), id: fc.constantFrom(...ids), live: fc.boolean() }),
    fc.record({ kind: fc.constant('delete' as const), tenant: fc.constantFrom('a', 'b'), id: fc.constantFrom(...ids) }),
    fc.record({ kind: fc.constant('marker' as const), tenant: fc.constantFrom('a', 'b'), id: fc.constantFrom(...ids) }),
  );
  const deliveriesOf = (history: Step[]) =>
    history.map((s, i) => {
      const seq = i + 1;
      if (s.kind === 'marker') return { seq, subject: draftSubject(s.tenant, s.id), expired: true as const };
      if (s.kind === 'delete') return { seq, event: deleted(s.tenant, s.id) };
      return { seq, event: saved(s.tenant, s.id, `v${seq}`, s.live ? inAnHour : aMinuteAgo) };
    });

  it.skipIf(skip)('leaves the same table applied one by one or in any batches, and never purges past the state that asked', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 12 }), fc.integer({ min: 2, max: 6 }), async (history, batchSize) => {
        const deliveries = deliveriesOf(history);
        const oneByOne = await spec.given(...deliveries).when({ now, batchSize: 1 });
        const batched = await spec.given(...deliveries).when({ now, batchSize });
        expect(batched.rows).toEqual(oneByOne.rows);
        // A purge may remove a draft's messages only up to (and with) the last one it has seen
        // go: never a later message of a draft the table keeps.
        for (const { rows, purges } of [oneByOne, batched]) {
          for (const p of purges) {
            const kept = rows.find((r) => draftSubject(r.tenant as string, r.id as string) === p.subject);
            if (kept) expect(p.up_to_seq!).toBeLessThanOrEqual(kept.last_seq as number);
          }
        }
      }),
      { seed: 20261130, numRuns: 40 },
    );
  });
});
