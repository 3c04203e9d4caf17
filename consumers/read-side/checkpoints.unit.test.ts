import { describe, expect, it } from 'vitest';
import type { NatsConnection } from '@nats-io/nats-core';
import type { Database } from '../../server/platform/db/database.ts';
import { announceCheckpointReset, CheckpointTracker, checkpointSubject } from './checkpoints.ts';

/** A core-NATS stand-in that delivers what is published on it to the tracker's subscription. */
function fakeNats() {
  let deliver: ((err: Error | null, msg: { subject: string; json<T>(): T }) => void) | undefined;
  const nc = {
    subscribe(_subject: string, opts: { callback: typeof deliver }) {
      deliver = opts.callback;
      return { unsubscribe() {} };
    },
    publish(subject: string, data: string) {
      deliver?.(null, { subject, json: <T,>() => JSON.parse(data) as T });
    },
  };
  return nc as unknown as NatsConnection;
}

/** A database whose projection_checkpoints row says `seq`. */
const checkpointAt = (seq: () => number) => ({ query: async () => [{ last_seq: seq() }] }) as unknown as Database;

const announce = (nc: NatsConnection, seq: number) => nc.publish(checkpointSubject('drafts'), JSON.stringify({ stream: 'DRAFTS', seq }));

describe('checkpoint tracker', () => {
  it('keeps the highest checkpoint announced (announcements may arrive out of order)', async () => {
    const nc = fakeNats();
    const tracker = new CheckpointTracker(nc, checkpointAt(() => 0));
    tracker.start();
    announce(nc, 10);
    announce(nc, 7);
    await expect(tracker.waitFor('drafts', 'DRAFTS', 10, 50)).resolves.toBeUndefined();
  });

  it('takes a reset checkpoint as it is, so reads wait for a projection rebuilt behind it', async () => {
    const nc = fakeNats();
    let db = 0;
    const tracker = new CheckpointTracker(nc, checkpointAt(() => db));
    tracker.start();
    announce(nc, 500); // the old stream went this far
    announceCheckpointReset(nc, 'drafts', 'DRAFTS', 3); // rebuilt from a recreated stream
    db = 3;
    // Sequence 4 of the new stream is not applied yet: the read must wait (and here, time out).
    await expect(tracker.waitFor('drafts', 'DRAFTS', 4, 50)).rejects.toMatchObject({ code: 'PROJECTION_LAGGING' });
    const waiting = tracker.waitFor('drafts', 'DRAFTS', 4, 1_000);
    announce(nc, 4);
    await expect(waiting).resolves.toBeUndefined();
    tracker.stop();
  });

  it('wakes readers waiting for what a reset checkpoint already covers', async () => {
    const nc = fakeNats();
    const tracker = new CheckpointTracker(nc, checkpointAt(() => 0));
    tracker.start();
    const waiting = tracker.waitFor('drafts', 'DRAFTS', 3, 1_000);
    await new Promise((r) => setTimeout(r, 10));
    announceCheckpointReset(nc, 'drafts', 'DRAFTS', 5);
    await expect(waiting).resolves.toBeUndefined();
  });
});
