import { describe, expect, it } from 'vitest';
import { newEvent } from '../../../platform/events/publisher.ts';
import { evolve } from './apply.ts';

const at = new Date('2026-03-01T12:00:00Z');
const id = '6f1c2a4e-8b7d-4c3e-9a1f-2b3c4d5e6f70';
const expires = '2026-03-01T13:00:00.000Z';
const registered = newEvent('device_token.registered', 'com.example.app', { registration_id: id, token: 'ab'.repeat(32), environment: 'sandbox', expires_at: expires }, at);
const discarded = newEvent('device_token.discarded', 'com.example.app', { registration_id: id, reason: 'Unregistered', expires_at: expires }, at);

describe('device registration evolve', () => {
  it('writes a registration whole, with its token', () => {
    expect(evolve(undefined, registered, 7)).toEqual({
      kind: 'put',
      row: {
        tenant: 'com.example.app',
        id,
        token: 'ab'.repeat(32),
        environment: 'sandbox',
        bundle_id: null,
        created_at: at.toISOString(),
        expires_at: expires,
        discarded_at: null,
        discard_reason: null,
        last_seq: 7,
      },
    });
  });

  it('turns a registration discarded in the same batch into a tombstone without the token', () => {
    const change = evolve(evolve(undefined, registered, 7), discarded, 8);
    expect(change).toMatchObject({ kind: 'put', row: { token: null, discarded_at: at.toISOString(), discard_reason: 'Unregistered', last_seq: 8, expires_at: expires } });
  });

  it('marks a stored registration discarded when the batch holds only the discard', () => {
    expect(evolve(undefined, discarded, 9)).toEqual({
      kind: 'discard',
      tombstone: { tenant: 'com.example.app', id, discarded_at: at.toISOString(), discard_reason: 'Unregistered', last_seq: 9 },
    });
  });
});
