import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../server/platform/logger.ts';
import { connectBroker, type Broker } from '../../server/platform/nats/connect.ts';
import type { EmbeddedNats } from '../../server/platform/nats/embedded-server.ts';
import { startTestNats } from '../../test/support/nats.ts';
import { readStream, type ReadBatch, type ReadOptions } from './read-stream.ts';

describe('reading a stream for a replay', () => {
  let nats: EmbeddedNats;
  let broker: Broker;
  let n = 0;

  /** A stream of its own holding `count` messages. */
  async function stream(count: number): Promise<string> {
    const name = `READ_${++n}`;
    await broker.jsm.streams.add({ name, subjects: [`read${n}.>`] });
    for (let i = 1; i <= count; i++) await broker.js.publish(`read${n}.m`, String(i));
    return name;
  }
  async function read(o: ReadOptions, each?: (b: ReadBatch) => Promise<void>): Promise<ReadBatch[]> {
    const out: ReadBatch[] = [];
    for await (const b of readStream(broker, o)) {
      out.push(b);
      await each?.(b);
    }
    return out;
  }
  const seqs = (bs: ReadBatch[]) => bs.flatMap((b) => b.msgs.map((m) => m.seq));

  beforeAll(async () => {
    nats = await startTestNats();
    broker = await connectBroker(nats.url, createLogger('silent'));
  });
  afterAll(async () => {
    await broker?.close();
    await nats?.stop();
  });

  it('reads in stream order, in batches, from and to the sequences asked', async () => {
    const name = await stream(25);
    const all = await read({ stream: name, fromSeq: 1, batchSize: 10 });
    expect(all.map((b) => b.msgs.length)).toEqual([10, 10, 5]);
    expect(seqs(all)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    expect(all.map((b) => b.pending)).toEqual([15, 5, 0]);
    expect(seqs(await read({ stream: name, fromSeq: 7, toSeq: 12, batchSize: 4 }))).toEqual([7, 8, 9, 10, 11, 12]);
    // Close enough to the head: stops once fewer than that many wait.
    expect(seqs(await read({ stream: name, fromSeq: 1, batchSize: 10, stopWhenPendingBelow: 10 }))).toHaveLength(20);
  });

  it('ends when messages it was told about vanish before they arrive, instead of waiting for ever', async () => {
    const name = await stream(40);
    const t0 = performance.now();
    const got = await read({ stream: name, fromSeq: 1, batchSize: 2 }, async (b) => {
      if (b.msgs[0]!.seq === 1) await broker.jsm.streams.purge(name);
    });
    expect(seqs(got).length).toBeLessThan(40);
    expect(performance.now() - t0).toBeLessThan(8_000); // one idle check (2 s) and the question
  });

  it('stops at once when its signal is aborted while it waits, leaving a batch half read unread', async () => {
    const name = await stream(40);
    const stop = new AbortController();
    let aborted = 0;
    const got = await read({ stream: name, fromSeq: 1, batchSize: 2, signal: stop.signal }, async (b) => {
      if (b.msgs[0]!.seq !== 1) return;
      await broker.jsm.streams.purge(name); // the read now waits for messages that will not come
      setTimeout(() => {
        aborted = performance.now();
        stop.abort();
      }, 300);
    });
    expect(aborted).toBeGreaterThan(0);
    expect(performance.now() - aborted).toBeLessThan(1_000); // not the 2 s idle check
    expect(got.every((b) => b.msgs.length === 2)).toBe(true);
  });
});
