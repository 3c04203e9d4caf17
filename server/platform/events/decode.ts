import { AnyEvent } from '@mayfly/contracts';
import { MARKER_REASON_HEADER } from '../nats/message-ttl.ts';

/** What Mayfly needs of a stream message (a `JsMsg`, or a message read by direct get). */
export interface StreamMessage {
  seq: number;
  subject: string;
  data: Uint8Array;
  headers?: { get(name: string): string } | undefined;
}

/** An event of the catalog, with its place in the stream. */
export interface EventDelivery {
  seq: number;
  subject: string;
  event: AnyEvent;
}

/** A subject delete marker (NATS 2.11+): every earlier message on `subject` has expired. */
export interface ExpiryDelivery {
  seq: number;
  subject: string;
  expired: true;
}

/** A stream message as a projection takes it. */
export type Delivery = EventDelivery | ExpiryDelivery;

const utf8 = new TextDecoder();

/** The JSON in a message body, or undefined when it is not JSON. */
export function parseJson(data: Uint8Array): unknown {
  try {
    return JSON.parse(utf8.decode(data));
  } catch {
    return undefined;
  }
}

/** The event a message body carries, validated against the catalog; undefined when it is not one. */
export function decodeEvent(data: Uint8Array): AnyEvent | undefined {
  const parsed = AnyEvent.safeParse(parseJson(data));
  return parsed.success ? parsed.data : undefined;
}

/**
 * What a stream message means to a projection: an event, the broker's word that its subject
 * expired, or (undefined) nothing it can read. The one place a message becomes an event.
 */
export function decodeDelivery(m: StreamMessage): Delivery | undefined {
  // A marker has no body, and every event has one: an event's headers are never decoded (a
  // replay reads millions of messages, and decoding their headers costs as much as the JSON).
  if (m.data.length === 0 && m.headers?.get(MARKER_REASON_HEADER)) return { seq: m.seq, subject: m.subject, expired: true };
  const event = decodeEvent(m.data);
  return event ? { seq: m.seq, subject: m.subject, event } : undefined;
}
