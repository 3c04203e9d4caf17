import type { JsMsg } from '@nats-io/jetstream';
import { decodeDelivery, type Delivery } from '../../server/platform/events/decode.ts';

/** A batch of stream messages as a projection takes them. */
export interface DecodedBatch {
  /** Events and delete markers, in stream order. */
  deliveries: Delivery[];
  /** Messages that fail their schema (skipped, as the projector skips them). */
  invalid: number;
  /** The batch's last stream sequence. */
  lastSeq: number;
}

/** Decodes and validates messages exactly as the projector does. */
export function decodeBatch(msgs: JsMsg[]): DecodedBatch {
  const out: DecodedBatch = { deliveries: [], invalid: 0, lastSeq: msgs[msgs.length - 1]?.seq ?? 0 };
  for (const m of msgs) {
    const d = decodeDelivery(m);
    if (d) out.deliveries.push(d);
    else out.invalid += 1;
  }
  return out;
}
