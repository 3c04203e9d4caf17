import { Buffer } from 'node:buffer';
import type { IosNotifyInput } from '@mayfly/contracts';
import { invalidInput } from '../../../platform/errors.ts';

/** What a push carries: the notify input without its registration. */
export type PushPayload = Omit<IosNotifyInput, 'registration_id'>;

/** APNs refuses larger payloads of regular (non-VoIP) pushes. */
export const MAX_PAYLOAD_BYTES = 4_096;

/** The APNs gateways by token environment (APNS_HOST overrides both). */
export const GATEWAYS = {
  sandbox: 'https://api.sandbox.push.apple.com',
  production: 'https://api.push.apple.com',
} as const;

/** A push as APNs wants it: request headers (without authorization) and the JSON body. */
export interface ApnsRequest {
  headers: Record<string, string>;
  body: string;
}

/**
 * Builds the request for one push. Anything the user sees or hears (alert, badge, sound) is an
 * `alert` push at priority 10; data alone is a `background` push (`content-available`), which
 * APNs requires at priority 5. It expires from APNs' store when the registration expires here.
 */
export function buildPush(p: PushPayload, opts: { topic: string; expiresAt: Date }): ApnsRequest {
  const visible = p.alert !== undefined || p.badge !== undefined || p.sound !== undefined;
  const aps = visible ? { alert: p.alert, badge: p.badge, sound: p.sound } : { 'content-available': 1 };
  const body = JSON.stringify({ ...p.data, aps });
  const size = Buffer.byteLength(body);
  if (size > MAX_PAYLOAD_BYTES) {
    throw invalidInput(`the push payload is ${size} bytes; APNs takes at most ${MAX_PAYLOAD_BYTES}`, [
      { path: 'data', message: `payload must be at most ${MAX_PAYLOAD_BYTES} bytes as JSON`, code: 'too_big' },
    ]);
  }
  return {
    headers: {
      'apns-topic': opts.topic,
      'apns-push-type': visible ? 'alert' : 'background',
      'apns-priority': visible ? '10' : '5',
      'apns-expiration': String(Math.floor(opts.expiresAt.getTime() / 1000)),
    },
    body,
  };
}
