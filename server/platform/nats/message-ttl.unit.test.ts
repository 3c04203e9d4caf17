import { describe, expect, it } from 'vitest';
import { STREAMS } from '@mayfly/contracts';
import { loadConfig } from '../config.ts';
import { messageTtlFor, streamHasMessageTtl, versionHasMessageTtl } from './message-ttl.ts';
import { desiredStreamConfig } from './streams.ts';

describe('per-message TTL (NATS 2.11+) decision', () => {
  it('is available from server 2.11 on', () => {
    expect(versionHasMessageTtl('2.9.10')).toBe(false);
    expect(versionHasMessageTtl('2.10.22')).toBe(false);
    expect(versionHasMessageTtl('2.11.0')).toBe(true);
    expect(versionHasMessageTtl('2.12.3')).toBe(true);
    expect(versionHasMessageTtl('3.0.0')).toBe(true);
    expect(versionHasMessageTtl('unknown')).toBe(false);
  });

  it('trusts the stream only when the config read back has it', () => {
    expect(streamHasMessageTtl('2.11.1', { allow_msg_ttl: true })).toBe(true);
    expect(streamHasMessageTtl('2.11.1', {})).toBe(false); // asked for, not granted
    expect(streamHasMessageTtl('2.9.10', { allow_msg_ttl: true })).toBe(false);
  });

  it('asks for message TTL and delete markers only of servers that have them', () => {
    const config = loadConfig({});
    const modern = desiredStreamConfig(STREAMS.DRAFTS, config, '2.11.4');
    expect(modern.allow_msg_ttl).toBe(true);
    expect(modern.subject_delete_marker_ttl).toBeGreaterThan(0);
    const old = desiredStreamConfig(STREAMS.DRAFTS, config, '2.9.10');
    expect(old).not.toHaveProperty('allow_msg_ttl');
    expect(old).not.toHaveProperty('subject_delete_marker_ttl');
  });

  it('sets Nats-TTL only for items shorter-lived than their stream', () => {
    expect(messageTtlFor(2, 604_800, true)).toBe('2s');
    expect(messageTtlFor(1.2, 604_800, true)).toBe('2s');
    expect(messageTtlFor(604_800, 604_800, true)).toBeUndefined();
    expect(messageTtlFor(2, 604_800, false)).toBeUndefined();
    expect(messageTtlFor(2, 0, true)).toBe('2s'); // a stream without max-age
  });

  it('sizes the dedup window to fit the max-age', () => {
    const short = desiredStreamConfig(STREAMS.DRAFTS, loadConfig({ DRAFT_MAX_TTL_SECONDS: '2' }));
    expect(short.max_age).toBe(2e9);
    expect(short.duplicate_window).toBe(2e9);
    const long = desiredStreamConfig(STREAMS.DRAFTS, loadConfig({}));
    expect(long.duplicate_window).toBe(120e9);
    expect(desiredStreamConfig(STREAMS.ROLLUPS, loadConfig({})).max_age).toBe(400 * 86_400e9);
    expect(desiredStreamConfig(STREAMS.TENANTS, loadConfig({})).max_age).toBe(0);
    expect(desiredStreamConfig(STREAMS.OUTBOX, loadConfig({})).retention).toBe('workqueue');
    expect(desiredStreamConfig(STREAMS.CONVERSIONS, loadConfig({ CONVERSION_RETENTION_DAYS: '2' })).max_age).toBe(2 * 86_400e9);
  });
});
