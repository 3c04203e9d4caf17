import { describe, expect, it } from 'vitest';
import { STREAMS } from '@mayfly/contracts';
import { loadConfig } from '../config.ts';
import { messageTtlFor, streamHasMessageTtl, versionHasMessageTtl } from './message-ttl.ts';
import { clusterSize, desiredStreamConfig, streamChanges, tooFewNodes } from './streams.ts';

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

  it('does not count a stream with delete markers that keeps history per subject (2.11.2+ raises its TTLs)', () => {
    const markers = { allow_msg_ttl: true, subject_delete_marker_ttl: 900e9 };
    expect(streamHasMessageTtl('2.15.1', markers)).toBe(false);
    expect(streamHasMessageTtl('2.15.1', { ...markers, max_msgs_per_subject: 1 })).toBe(true);
    expect(streamHasMessageTtl('2.15.1', { ...markers, max_msgs_per_subject: -1 })).toBe(false);
  });

  it('keeps one message per subject on 2.11+ exactly where messages carry their own TTL', () => {
    const config = loadConfig({});
    for (const spec of Object.values(STREAMS)) {
      const modern = desiredStreamConfig(spec, config, '2.15.1');
      expect(modern.max_msgs_per_subject, spec.name).toBe(spec.per_subject === 'latest' ? 1 : undefined);
      expect(desiredStreamConfig(spec, config, '2.9.10').max_msgs_per_subject, spec.name).toBeUndefined();
    }
    expect(['BOTS', 'DRAFTS', 'UPLOADS'].every((n) => STREAMS[n as keyof typeof STREAMS].per_subject === 'latest')).toBe(true);
  });

  it('asks for NATS_STREAM_REPLICAS copies of every stream', () => {
    for (const spec of Object.values(STREAMS)) {
      expect(desiredStreamConfig(spec, loadConfig({}), '2.9.10').num_replicas).toBe(1);
      expect(desiredStreamConfig(spec, loadConfig({ NATS_STREAM_REPLICAS: '3' }), '2.15.1').num_replicas).toBe(3);
    }
  });

  it('names exactly the settings that differ, and only those configuration sets on this server', () => {
    const want = desiredStreamConfig(STREAMS.DRAFTS, loadConfig({ NATS_STREAM_REPLICAS: '3' }), '2.9.10');
    expect(streamChanges({ ...want }, want)).toEqual({});
    expect(streamChanges({ ...want, num_replicas: 1, max_age: 5e9, allow_msg_ttl: true }, want)).toEqual({
      num_replicas: { from: 1, to: 3 },
      max_age: { from: 5e9, to: want.max_age },
    });
  });

  it('counts the cluster from the server INFO and refuses more replicas than nodes in one line', () => {
    expect(clusterSize({})).toBe(1);
    expect(clusterSize({ cluster: 'c', connect_urls: ['127.0.0.1:1', '127.0.0.1:2', '127.0.0.1:3'] })).toBe(3);
    expect(tooFewNodes(3, 1).message).toBe('invalid configuration: NATS_STREAM_REPLICAS is 3 but the NATS cluster has 1 node (at most 1 replica possible)');
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
