import { describeConsumers } from '../../server/modules/admin/consumers.ts';
import { catalog } from '../../server/modules/index.ts';
import type { Ops } from '../context.ts';
import { duration, printJson, table } from '../format.ts';

/** `consumers`: every durable consumer, and for projectors the checkpoint and lag. */
export async function consumersCommand(ops: Ops, opts: { json?: boolean }): Promise<void> {
  const db = await ops.dbIfShared();
  const consumers = await describeConsumers({ broker: await ops.broker(), db, projections: catalog.projections, now: ops.now() });
  if (opts.json) return printJson({ consumers, checkpoints: db !== undefined });
  console.log(
    table(
      ['STREAM', 'CONSUMER', 'PROJECTION', 'PENDING', 'ACK PENDING', 'REDELIVERED', 'CHECKPOINT', 'LAG MSGS', 'LAG'],
      consumers.map((c) => [
        c.stream,
        c.name,
        c.projection,
        c.pending,
        c.ack_pending,
        c.redelivered,
        c.checkpoint,
        c.lag_messages,
        c.lag_seconds === null ? null : duration(c.lag_seconds, '0s'),
      ]),
    ),
  );
  if (!db) console.error('(checkpoints not shown: they are in the service database, which ops can reach only through DATABASE_URL=postgres://...)');
}
