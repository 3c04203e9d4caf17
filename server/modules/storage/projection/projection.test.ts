import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { objectKey, uploadSubject } from '@mayfly/contracts';
import type { Database } from '../../../platform/db/database.ts';
import { newEvent } from '../../../platform/events/publisher.ts';
import { DATABASES } from '../../../../test/support/databases.ts';
import { projectionSpec, specDatabase } from '../../../../test/support/projection-spec.ts';
import { uploadsProjection } from './index.ts';

const now = new Date('2026-03-01T12:00:00Z');
const later = '2026-03-01T12:01:00.000Z';
const earlier = '2026-03-01T11:59:59.999Z';
const ONE = '2d8f6c3e-4b5f-4a71-8cbd-2e3f4a5b6c7d';
const TWO = '3e907d4f-5c60-4b82-9dce-3f4a5b6c7d8e';
const issued = (tenant: string, id: string, expires_at: string) =>
  newEvent('upload.issued', tenant, { upload_id: id, key: objectKey(tenant, id), content_type: 'image/png', content_length: 1, expires_at }, now, id);

describe.each(DATABASES)('the uploads projection ($name)', ({ name, skip }) => {
  let db: Database & AsyncDisposable;
  beforeAll(async () => {
    if (!skip) db = await specDatabase(name);
  });
  afterAll(async () => {
    await db?.[Symbol.asyncDispose]();
  });
  const spec = projectionSpec(() => db, uploadsProjection);

  it.skipIf(skip)('keeps one row per live upload with its key, expiry and sequence, a redelivery changing nothing', async () => {
    const { rows, also } = await spec
      .given({ seq: 10, event: issued('com.example.a', ONE, later) }, { seq: 11, event: issued('com.example.a', TWO, later) }, { seq: 10, event: issued('com.example.a', ONE, later) })
      .when({ now, batchSize: 2, also: ['object_deletions'] });
    expect(rows).toEqual([
      { tenant: 'com.example.a', id: ONE, key: `t/com~example~a/${ONE}`, expires_at: later, last_seq: 10 },
      { tenant: 'com.example.a', id: TWO, key: `t/com~example~a/${TWO}`, expires_at: later, last_seq: 11 },
    ]);
    expect(also.object_deletions).toEqual([]);
  });

  it.skipIf(skip)('writes no upload that expired before it was projected; its object and message are queued for removal', async () => {
    const { rows, purges, also } = await spec.given({ seq: 20, event: issued('app', ONE, earlier) }).when({ now, also: ['object_deletions'] });
    expect(rows).toEqual([]);
    expect(also.object_deletions!.map((r) => r.key)).toEqual([`t/app/${ONE}`]);
    expect(purges).toEqual([{ stream: 'UPLOADS', subject: uploadSubject('app', ONE), up_to_seq: 21 }]);
  });

  it.skipIf(skip)('removes the row of an upload whose messages the broker expired, and queues its object', async () => {
    const { rows, purges, also } = await spec
      .given({ seq: 30, event: issued('com.example.m', ONE, later) }, { seq: 31, subject: uploadSubject('com.example.m', ONE), expired: true })
      .when({ now, batchSize: 1, also: ['object_deletions'] });
    expect(rows).toEqual([]);
    expect(also.object_deletions!.map((r) => r.key)).toEqual([`t/com~example~m/${ONE}`]);
    expect(purges).toEqual([]);
  });

  it.skipIf(skip)('keeps queued deletions out of tenant purges: object_deletions has no tenant column', async () => {
    const cols = await db.query("SELECT 1 FROM information_schema.columns WHERE table_name = 'object_deletions' AND column_name = 'tenant'");
    expect(cols).toHaveLength(0);
  });
});
