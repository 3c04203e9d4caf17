import type { StreamConfig } from '@nats-io/jetstream';
import { nanos } from '@nats-io/nats-core';

/** How long a subject delete marker stays in a stream (2.11+), so consumers can see it. */
export const DELETE_MARKER_TTL_SECONDS = 15 * 60;

/** The header that marks a subject delete marker (2.11+): its subject has expired. */
export const MARKER_REASON_HEADER = 'Nats-Marker-Reason';

/** True when the server's version has per-message TTL (`Nats-TTL`, 2.11 and later). */
export function versionHasMessageTtl(version: string): boolean {
  const [major = 0, minor = 0] = version.split('.').map((p) => Number.parseInt(p, 10));
  return major > 2 || (major === 2 && minor >= 11);
}

/** The stream settings that switch per-message TTL and delete markers on (asked only of 2.11+). */
export function messageTtlStreamConfig(): Pick<StreamConfig, 'allow_msg_ttl' | 'subject_delete_marker_ttl'> {
  return { allow_msg_ttl: true, subject_delete_marker_ttl: nanos(DELETE_MARKER_TTL_SECONDS * 1000) };
}

/**
 * Whether a stream really expires messages one by one, on time: the server must be new enough
 * AND the config read back must say so (2.9 accepts the fields and silently drops them). And
 * since 2.11.2 a stream with delete markers raises every message's TTL to the markers' lifetime
 * unless it keeps one message per subject (nats-server `server/stream.go`: `ttl > 0 &&
 * SubjectDeleteMarkerTTL > 0 && MaxMsgsPer != 1` => `ttl = SubjectDeleteMarkerTTL`), so such a
 * stream does not count: its short-lived items are removed by sequence by the reconciler.
 */
export function streamHasMessageTtl(version: string, readBack: Partial<StreamConfig>): boolean {
  if (!versionHasMessageTtl(version) || readBack.allow_msg_ttl !== true) return false;
  const markers = (readBack.subject_delete_marker_ttl ?? 0) > 0;
  return !markers || readBack.max_msgs_per_subject === 1;
}

/**
 * The `Nats-TTL` value for an item that must leave the broker after `ttlSeconds`, or
 * undefined when the stream's max-age removes it in time anyway (or the stream can not).
 */
export function messageTtlFor(ttlSeconds: number, streamMaxAgeSeconds: number, streamHasTtl: boolean): string | undefined {
  if (!streamHasTtl) return undefined;
  if (streamMaxAgeSeconds > 0 && ttlSeconds >= streamMaxAgeSeconds) return undefined;
  return `${Math.max(1, Math.ceil(ttlSeconds))}s`;
}
