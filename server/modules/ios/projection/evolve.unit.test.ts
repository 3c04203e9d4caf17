import { describe, expect, it } from 'vitest';
import { newEvent } from '../../../platform/events/publisher.ts';
import { evolve } from './index.ts';

const at = new Date('2026-03-01T12:00:00Z');
const id = '6f1c2a4e-8b7d-4c3e-9a1f-2b3c4d5e6f70';
const expires = '2026-03-01T13:00:00.000Z';
const registered = newEvent('device_token.registered', 'com.example.app', { registration_id: id, token: 'ab'.repeat(32), environment: 'sandbox', expires_at: expires }, at);
const discarded = newEvent('device_token.discarded', 'com.example.app', { registration_id: id, reason: 'Unregistered', expires_at: expires }, at);

describe('device registration evolve', () => {
  it('writes a registration whole, with its token', () => {
    expect(evolve(null, registered, 7)).toEqual({
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
    });
  });

  it('turns a registration into a tombstone without the token', () => {
    expect(evolve(evolve(null, registered, 7), discarded, 8)).toMatchObject({
      token: null,
      discarded_at: at.toISOString(),
      discard_reason: 'Unregistered',
      last_seq: 8,
      expires_at: expires,
    });
  });

  it('leaves nothing for a discard of a registration that is not stored', () => {
    expect(evolve(null, discarded, 9)).toBeNull();
  });
});
