import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deviceSubject } from '@mayfly/contracts';
import type { Database } from '../../../platform/db/database.ts';
import { newEvent } from '../../../platform/events/publisher.ts';
import { DATABASES } from '../../../../test/support/databases.ts';
import { projectionSpec, specDatabase } from '../../../../test/support/projection-spec.ts';
import { deviceRegistrationsProjection } from './index.ts';

const now = new Date('2026-03-01T12:00:00Z');
const expires = '2026-03-01T13:00:00.000Z';
const R = '6f1c2a4e-8b7d-4c3e-9a1f-2b3c4d5e6f70';
const token = 'ab'.repeat(32);
const registered = (tenant: string, expires_at = expires) =>
  newEvent('device_token.registered', tenant, { registration_id: R, token, environment: 'sandbox', bundle_id: 'com.example.app', expires_at }, now);
const discarded = (tenant: string) => newEvent('device_token.discarded', tenant, { registration_id: R, reason: 'Unregistered', expires_at: expires }, now);

describe.each(DATABASES)('the device_registrations projection ($name)', ({ name, skip }) => {
  let db: Database & AsyncDisposable;
  beforeAll(async () => {
    if (!skip) db = await specDatabase(name);
  });
  afterAll(async () => {
    await db?.[Symbol.asyncDispose]();
  });
  const spec = projectionSpec(() => db, deviceRegistrationsProjection);

  it.skipIf(skip)('keeps a live registration with its token', async () => {
    const { rows, purges } = await spec.given({ seq: 1, event: registered('a') }).when({ now });
    expect(rows).toEqual([
      {
        tenant: 'a',
        id: R,
        token,
        environment: 'sandbox',
        bundle_id: 'com.example.app',
        created_at: now.toISOString(),
        expires_at: expires,
        discarded_at: null,
        discard_reason: null,
        last_seq: 1,
      },
    ]);
    expect(purges).toEqual([]);
  });

  it.skipIf(skip)('turns a discarded registration into a tombstone without its token and purges its messages, in one batch or two', async () => {
    for (const batchSize of [1, 2]) {
      const { rows, purges } = await spec.given({ seq: 1, event: registered('a') }, { seq: 2, event: discarded('a') }).when({ now, batchSize });
      expect(rows, `batches of ${batchSize}`).toMatchObject([{ id: R, token: null, discard_reason: 'Unregistered', discarded_at: now.toISOString(), bundle_id: 'com.example.app', last_seq: 2 }]);
      expect(purges).toEqual([{ stream: 'DEVICES', subject: deviceSubject('a', R), up_to_seq: 3 }]);
    }
  });

  it.skipIf(skip)('leaves nothing for an expired registration or for a discard of one never stored, and purges both', async () => {
    const expired = await spec.given({ seq: 4, event: registered('a', '2026-03-01T11:00:00.000Z') }).when({ now });
    expect(expired.rows).toEqual([]);
    expect(expired.purges).toEqual([{ stream: 'DEVICES', subject: deviceSubject('a', R), up_to_seq: 5 }]);
    const orphan = await spec.given({ seq: 6, event: discarded('b') }).when({ now });
    expect(orphan.rows).toEqual([]);
    expect(orphan.purges).toEqual([{ stream: 'DEVICES', subject: deviceSubject('b', R), up_to_seq: 7 }]);
  });

  it.skipIf(skip)('forgets a registration whose messages the broker expired', async () => {
    const { rows } = await spec.given({ seq: 1, event: registered('a') }, { seq: 2, subject: deviceSubject('a', R), expired: true }).when({ now, batchSize: 1 });
    expect(rows).toEqual([]);
  });
});
