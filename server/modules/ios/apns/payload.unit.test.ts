import { describe, expect, it } from 'vitest';
import { MayflyError } from '../../../platform/errors.ts';
import { buildPush, MAX_PAYLOAD_BYTES } from './payload.ts';

const opts = { topic: 'com.example.app', expiresAt: new Date('2026-03-01T13:00:00.500Z') };

describe('APNs push requests', () => {
  it('sends anything the user sees or hears as an alert push at priority 10, custom keys beside aps', () => {
    const push = buildPush({ alert: 'Hi', badge: 0, data: { thread: 't1' } }, opts);
    expect(push.headers).toEqual({ 'apns-topic': 'com.example.app', 'apns-push-type': 'alert', 'apns-priority': '10', 'apns-expiration': '1772370000' });
    expect(JSON.parse(push.body)).toEqual({ thread: 't1', aps: { alert: 'Hi', badge: 0 } });
  });

  it('sends data alone as a background push at priority 5 with content-available', () => {
    const push = buildPush({ data: { sync: 1 } }, opts);
    expect(push.headers).toMatchObject({ 'apns-push-type': 'background', 'apns-priority': '5' });
    expect(JSON.parse(push.body)).toEqual({ sync: 1, aps: { 'content-available': 1 } });
    expect(JSON.parse(buildPush({}, opts).body)).toEqual({ aps: { 'content-available': 1 } });
  });

  it(`refuses a payload over ${MAX_PAYLOAD_BYTES} bytes with 400, counting bytes not characters`, () => {
    expect(() => buildPush({ data: { x: 'é'.repeat(2_040) } }, opts)).toThrow(MayflyError);
    expect(buildPush({ data: { x: 'e'.repeat(4_000) } }, opts).body.length).toBeLessThanOrEqual(MAX_PAYLOAD_BYTES);
  });
});
