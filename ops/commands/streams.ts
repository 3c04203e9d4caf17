import { describeStreams } from '../../server/modules/admin/streams.ts';
import type { Ops } from '../context.ts';
import { bytes, duration, printJson, table, time } from '../format.ts';

/** `streams`: every stream with its subjects, retention, size and first/last message. */
export async function streamsCommand(ops: Ops, opts: { json?: boolean }): Promise<void> {
  const streams = await describeStreams((await ops.broker()).jsm);
  if (opts.json) return printJson({ streams });
  console.log(
    table(
      ['STREAM', 'SUBJECTS', 'RETENTION', 'MAX AGE', 'MESSAGES', 'BYTES', 'FIRST SEQ', 'FIRST', 'LAST SEQ', 'LAST', 'CONSUMERS'],
      streams.map((s) => [
        s.name,
        s.subjects.join(','),
        s.retention,
        duration(s.max_age_seconds),
        s.messages,
        bytes(s.bytes),
        s.first_seq,
        time(s.first_time),
        s.last_seq,
        time(s.last_time),
        s.consumers,
      ]),
    ),
  );
}
