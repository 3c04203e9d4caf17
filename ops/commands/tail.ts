import { DeliverPolicy, type JsMsg } from '@nats-io/jetstream';
import { STREAMS } from '@mayfly/contracts';
import type { Broker } from '../../server/platform/nats/connect.ts';
import { MARKER_REASON_HEADER } from '../../server/platform/nats/message-ttl.ts';
import type { Ops } from '../context.ts';
import { OpsError } from '../errors.ts';
import { time } from '../format.ts';

/** Fields that carry a secret or personal data: never printed (an operator's screen is a log too). */
const REDACTED = new Set(['to', 'cc', 'bcc', 'token', 'key_hash', 'key']);

/** A decoded message, with secrets and addresses replaced by `[redacted]`. */
export function redact(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redact);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, REDACTED.has(k) ? '[redacted]' : redact(v)]));
}

/** The stream that holds `filter`: by the catalog's prefix, else by asking the server. */
async function streamFor(broker: Broker, filter: string): Promise<string> {
  const first = filter.split('.')[0];
  const spec = Object.values(STREAMS).find((s) => s.prefix === first);
  if (spec) return spec.name;
  try {
    return await broker.jsm.streams.find(filter);
  } catch {
    throw new OpsError(`no stream holds subjects matching ${filter} (streams: ${Object.values(STREAMS).map((s) => `${s.prefix}.>`).join(' ')})`);
  }
}

function decode(m: JsMsg): { event: unknown; text?: string } {
  const text = new TextDecoder().decode(m.data);
  try {
    return { event: redact(JSON.parse(text)) };
  } catch {
    return { event: null, text: text.length > 200 ? `${text.slice(0, 200)}…` : text };
  }
}

/** `tail <filter>`: new messages as they arrive, decoded, until Ctrl-C. */
export async function tailCommand(ops: Ops, filter: string, o: { json?: boolean }, signal: AbortSignal): Promise<void> {
  const broker = await ops.broker();
  const stream = await streamFor(broker, filter);
  let consumer;
  try {
    consumer = await broker.js.consumers.get(stream, { filter_subjects: filter, deliver_policy: DeliverPolicy.New });
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    if (stream === STREAMS.OUTBOX.name) throw new OpsError(`${stream} is a work queue: its messages can not be watched without taking them from the mailer (${why})`);
    throw new OpsError(`can not follow ${filter} in ${stream}: ${why}`);
  }
  const messages = await consumer.consume({ max_messages: 256 });
  const stop = () => messages.stop();
  signal.addEventListener('abort', stop, { once: true });
  if (!o.json) console.error(`following ${filter} in ${stream} (Ctrl-C to stop)`);
  try {
    for await (const m of messages) {
      const marker = m.headers?.get(MARKER_REASON_HEADER);
      const at = new Date(Math.round(m.info.timestampNanos / 1e6)).toISOString();
      if (o.json) {
        const d = marker ? { marker } : decode(m);
        process.stdout.write(`${JSON.stringify({ stream, seq: m.seq, subject: m.subject, time: at, ...d })}\n`);
        continue;
      }
      if (marker) {
        console.log(`#${m.seq} ${time(at)} ${m.subject} (delete marker: ${marker})`);
        continue;
      }
      const { event, text } = decode(m);
      const e = event as { type?: string; tenant?: string; data?: unknown } | null;
      console.log(`#${m.seq} ${time(at)} ${m.subject} ${e?.type ?? '(not an event)'}${e?.tenant ? ` app=${e.tenant}` : ''}`);
      const body = e?.data === undefined ? (text ?? JSON.stringify(event)) : JSON.stringify(e.data, null, 2);
      console.log(body.replace(/^/gm, '  '));
    }
  } finally {
    signal.removeEventListener('abort', stop);
    await consumer.delete().catch(() => undefined);
  }
}
