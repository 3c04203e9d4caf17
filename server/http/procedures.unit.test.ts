import { describe, expect, it } from 'vitest';
import { MayflyError } from '../platform/errors.ts';
import { MAX_BATCH_SIZE, trpcCalls } from './procedures.ts';

describe('the procedures a tRPC request calls', () => {
  it('are read from the path as tRPC reads it: decoded, split at commas for a batch', () => {
    expect(trpcCalls('http://h/trpc/drafts.create')).toEqual(['drafts.create']);
    expect(trpcCalls('http://h/trpc/drafts.create,drafts.list?batch=1')).toEqual(['drafts.create', 'drafts.list']);
    expect(trpcCalls('http://h/trpc/bots.execute%2Cbots.execute?batch=1')).toEqual(['bots.execute', 'bots.execute']);
    expect(trpcCalls('http://h/trpc/admin.tenants.list%2Cdrafts.list?batch=1')).toEqual(['admin.tenants.list', 'drafts.list']);
    expect(trpcCalls('http://h/trpc/%64rafts.list')).toEqual(['drafts.list']);
    expect(trpcCalls('http://h/trpc/a,b')).toEqual(['a,b']); // not a batch: one (unknown) procedure
  });

  it(`refuse a malformed encoding and batches of more than ${MAX_BATCH_SIZE} calls`, () => {
    expect(() => trpcCalls('http://h/trpc/%E0%A4%A')).toThrow(MayflyError);
    const batch = Array.from({ length: MAX_BATCH_SIZE + 1 }, () => 'drafts.list').join(',');
    expect(() => trpcCalls(`http://h/trpc/${batch}?batch=1`)).toThrow(/at most 10 calls/);
  });
});
