// JetStream publishes through the pipelined publisher: acks matched to their publishes, the
// broker's refusals and silences surfaced as the same errors js.publish gives.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '@nats-io/transport-node';
import { NoRespondersError, TimeoutError, type NatsConnection } from '@nats-io/nats-core';
import { jetstreamManager } from '@nats-io/jetstream';
import { PipelinedPublisher } from './pipelined-publisher.ts';
import { isWrongLastSequence } from '../platform/nats/errors.ts';
import { startTestNats } from '../../test/support/nats.ts';

describe('pipelined JetStream publishes', () => {
  let nats: Awaited<ReturnType<typeof startTestNats>>;
  let nc: NatsConnection;
  let publisher: PipelinedPublisher;

  beforeAll(async () => {
    nats = await startTestNats();
    nc = await connect({ servers: nats.url });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'PIPE', subjects: ['pipe.>'] });
    publisher = new PipelinedPublisher(nc, { timeoutMs: 500 });
  });
  afterAll(async () => {
    publisher.close();
    await nc.close();
    await nats.stop();
  });

  it('acks every publish of one turn with its own sequence, in order', async () => {
    const acks = await Promise.all(
      Array.from({ length: 500 }, (_, i) => publisher.publish(`pipe.a.${i}`, JSON.stringify({ i }), { msgId: `a-${i}`, expectedStream: 'PIPE' })),
    );
    const seqs = acks.map((a) => a.seq);
    expect(new Set(seqs).size).toBe(500);
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    expect(acks.every((a) => a.stream === 'PIPE' && !a.duplicate)).toBe(true);
    const jsm = await jetstreamManager(nc);
    const stored = await jsm.streams.getMessage('PIPE', { seq: acks[123]!.seq });
    expect(stored?.subject).toBe('pipe.a.123');
    expect(stored?.header.get('Nats-Msg-Id')).toBe('a-123');
  });

  it('answers a repeated message id with the original sequence, marked duplicate', async () => {
    const first = await publisher.publish('pipe.b', '{}', { msgId: 'b-1', expectedStream: 'PIPE' });
    const again = await publisher.publish('pipe.b', '{}', { msgId: 'b-1', expectedStream: 'PIPE' });
    expect(again).toEqual({ stream: 'PIPE', seq: first.seq, duplicate: true });
  });

  it('refuses a publish whose expected last subject sequence moved on', async () => {
    await publisher.publish('pipe.c', '{}', { msgId: 'c-1', expectedStream: 'PIPE', expectedLastSubjectSequence: 0 });
    const err = await publisher.publish('pipe.c', '{}', { msgId: 'c-2', expectedStream: 'PIPE', expectedLastSubjectSequence: 0 }).catch((e: unknown) => e);
    expect(isWrongLastSequence(err)).toBe(true);
  });

  it('fails at once when no stream takes the subject, and times out when nothing answers', async () => {
    await expect(publisher.publish('nowhere.x', '{}', { msgId: 'n-1', expectedStream: 'PIPE' })).rejects.toBeInstanceOf(NoRespondersError);
    const silent = nc.subscribe('silent.x'); // a responder that never replies
    const started = Date.now();
    await expect(publisher.publish('silent.x', '{}', { msgId: 's-1', expectedStream: 'PIPE' })).rejects.toBeInstanceOf(TimeoutError);
    expect(Date.now() - started).toBeGreaterThanOrEqual(450);
    silent.unsubscribe();
  });

  it('fails what is still waiting when closed', async () => {
    const other = new PipelinedPublisher(nc, { timeoutMs: 10_000 });
    const silent = nc.subscribe('silent.y');
    const waiting = other.publish('silent.y', '{}', { msgId: 'y-1', expectedStream: 'PIPE' });
    await new Promise((r) => setTimeout(r, 50));
    other.close();
    await expect(waiting).rejects.toThrow(/closed/);
    silent.unsubscribe();
  });
});
