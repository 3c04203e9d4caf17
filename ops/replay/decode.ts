import type { JsMsg } from '@nats-io/jetstream';
import { AnyEvent } from '@mayfly/contracts';
import type { ProjectedEvent } from '../../consumers/projection/projection.ts';
import { parseJson } from '../../server/platform/events/decode.ts';
import { MARKER_REASON_HEADER } from '../../server/platform/nats/message-ttl.ts';

/** A batch of stream messages as a projection takes them. */
export interface DecodedBatch {
  events: ProjectedEvent[];
  /** Subjects a 2.11+ delete marker says expired. */
  expiredSubjects: string[];
  /** Messages that fail their schema (skipped, as the projector skips them). */
  invalid: number;
  /** The batch's last stream sequence. */
  lastSeq: number;
}

/** Decodes and validates messages exactly as the projector does. */
export function decodeBatch(msgs: JsMsg[]): DecodedBatch {
  const out: DecodedBatch = { events: [], expiredSubjects: [], invalid: 0, lastSeq: msgs[msgs.length - 1]?.seq ?? 0 };
  for (const m of msgs) {
    if (m.headers?.get(MARKER_REASON_HEADER)) {
      out.expiredSubjects.push(m.subject);
      continue;
    }
    const parsed = AnyEvent.safeParse(parseJson(m.data));
    if (parsed.success) out.events.push({ seq: m.seq, subject: m.subject, event: parsed.data });
    else out.invalid += 1;
  }
  return out;
}
