import { createHash } from 'node:crypto';

/**
 * A name-based UUID (RFC 9562 version 8, SHA-256 of `name`): the same name always gives the
 * same id, so an event published twice under it is one `Nats-Msg-Id`, deduplicated.
 */
export function nameUuid(name: string): string {
  const h = createHash('sha256').update(name, 'utf8').digest().subarray(0, 16);
  h[6] = (h[6]! & 0x0f) | 0x80; // version 8
  h[8] = (h[8]! & 0x3f) | 0x80; // RFC variant
  const x = h.toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}
