import {
  DiscardPolicy,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
  type StreamConfig,
  type StreamInfo,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/nats-core';
import { STREAMS, type StreamName, type StreamSpec } from '@mayfly/contracts';
import { ConfigError, type Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import { isStreamNameInUse, isStreamNotFound } from './errors.ts';
import { messageTtlStreamConfig, streamHasMessageTtl, versionHasMessageTtl } from './message-ttl.ts';

/** Publishes answered as duplicates within this window (never longer than the stream's max-age). */
const DEDUP_WINDOW_SECONDS = 120;

/** The max-age in seconds a stream gets from configuration; 0 = kept until deleted. */
export function maxAgeSeconds(spec: StreamSpec, config: Config): number {
  const r = spec.retention;
  switch (r.kind) {
    case 'forever':
      return 0;
    case 'work_queue':
      return r.max_age_seconds;
    case 'max_age':
      return r.setting.endsWith('_DAYS') ? Math.round(config[r.setting] * 86_400) : config[r.setting];
    default: {
      const _never: never = r;
      return _never;
    }
  }
}

/** The JetStream config Mayfly wants for one stream of the catalog on a server of `version`. */
export function desiredStreamConfig(
  spec: StreamSpec,
  config: Config,
  version = '2.9.0',
): Partial<StreamConfig> & { name: string } {
  const maxAge = maxAgeSeconds(spec, config);
  const dedup = maxAge === 0 ? DEDUP_WINDOW_SECONDS : Math.min(DEDUP_WINDOW_SECONDS, maxAge);
  const ttl = versionHasMessageTtl(version);
  return {
    ...(ttl ? messageTtlStreamConfig() : {}),
    // Only where it matters (2.11+ with delete markers): a stream that keeps one message per
    // subject is the server's one exception to raising every Nats-TTL to the marker's lifetime.
    // 2.9 keeps its history per subject as before (idempotent replays of an older message).
    ...(ttl && spec.per_subject === 'latest' ? { max_msgs_per_subject: 1 } : {}),
    name: spec.name,
    subjects: [`${spec.prefix}.>`],
    retention: spec.retention.kind === 'work_queue' ? RetentionPolicy.Workqueue : RetentionPolicy.Limits,
    storage: StorageType.File,
    discard: DiscardPolicy.Old,
    max_age: nanos(maxAge * 1000),
    duplicate_window: nanos(dedup * 1000),
    num_replicas: config.NATS_STREAM_REPLICAS,
    allow_direct: true,
  };
}

/** What a provisioned stream can do, as read back from the server. */
export interface StreamCapabilities {
  name: string;
  maxAgeSeconds: number;
  /** Per-message TTL and delete markers really work here (2.11+, config read back). */
  messageTtl: boolean;
}

/** The settings start brings an existing stream to, as they are compared and logged. */
const MANAGED = [
  'max_age',
  'duplicate_window',
  'num_replicas',
  'allow_direct',
  'allow_msg_ttl',
  'subject_delete_marker_ttl',
  'max_msgs_per_subject',
  'subjects',
] as const;

/** The managed settings whose value on the server differs from what configuration wants. */
export function streamChanges(
  have: Partial<StreamConfig>,
  want: Partial<StreamConfig>,
): Record<string, { from: unknown; to: unknown }> {
  const changes: Record<string, { from: unknown; to: unknown }> = {};
  for (const key of MANAGED) {
    if (!(key in want)) continue; // not ours to set on this server (2.9: no TTL fields)
    const from = have[key];
    const to = want[key];
    if (JSON.stringify(from ?? null) !== JSON.stringify(to ?? null)) changes[key] = { from: from ?? null, to };
  }
  return changes;
}

/**
 * How many JetStream servers the connected cluster has, from the server's INFO: a server in a
 * cluster announces every member's client URL (`connect_urls`, its own included); a server
 * without a cluster is one node.
 */
export function clusterSize(info: { cluster?: string; connect_urls?: string[] } | undefined): number {
  if (!info?.cluster) return 1;
  return Math.max(1, new Set(info.connect_urls ?? []).size);
}

/** One line for a start that asks for more copies than there are servers to hold them. */
export function tooFewNodes(replicas: number, nodes: number): ConfigError {
  return new ConfigError(
    `invalid configuration: NATS_STREAM_REPLICAS is ${replicas} but the NATS cluster has ${nodes} node${nodes === 1 ? '' : 's'} (at most ${nodes} replica${nodes === 1 ? '' : 's'} possible)`,
  );
}

/** The server refused a replica count it can not place (not clustered, or too few peers). */
const isReplicaPlacementError = (err: unknown) =>
  err instanceof JetStreamApiError && (err.code === 10_074 || err.code === 10_023 || /replicas|peers|insufficient resources/i.test(err.message));

/**
 * Creates every stream of the catalog, or brings an existing one to the configured settings
 * (max-age, replicas, TTL and per-subject settings; one log line per stream that changed).
 * Safe to run from many processes at once. `nodes` is the cluster's size when known: a
 * replica count above it stops start with one line naming both.
 */
export async function provisionStreams(
  jsm: JetStreamManager,
  config: Config,
  version = '2.9.0',
  opts: { log?: Pick<Logger, 'info'>; nodes?: number } = {},
): Promise<Map<StreamName, StreamCapabilities>> {
  const replicas = config.NATS_STREAM_REPLICAS;
  if (opts.nodes !== undefined && replicas > opts.nodes) throw tooFewNodes(replicas, opts.nodes);
  const caps = new Map<StreamName, StreamCapabilities>();
  for (const [key, spec] of Object.entries(STREAMS) as [StreamName, StreamSpec][]) {
    const want = desiredStreamConfig(spec, config, version);
    let info: StreamInfo;
    try {
      try {
        const have = await jsm.streams.info(spec.name);
        const changes = streamChanges(have.config, want);
        if (Object.keys(changes).length === 0) {
          info = have;
        } else {
          info = await jsm.streams.update(spec.name, { ...have.config, ...want });
          opts.log?.info({ stream: spec.name, changes }, `stream ${spec.name} updated to the configured settings`);
        }
      } catch (err) {
        if (!isStreamNotFound(err)) throw err;
        try {
          info = await jsm.streams.add(want);
        } catch (addErr) {
          // Another process created it between our info and add.
          if (!isStreamNameInUse(addErr)) throw addErr;
          info = await jsm.streams.info(spec.name);
        }
      }
    } catch (err) {
      if (replicas > 1 && isReplicaPlacementError(err)) throw tooFewNodes(replicas, opts.nodes ?? 1);
      throw err;
    }
    // A server without a cluster may accept the update and keep one copy (2.9): read it back.
    if ((info.config.num_replicas ?? 1) < replicas) throw tooFewNodes(replicas, opts.nodes ?? info.config.num_replicas ?? 1);
    caps.set(key, {
      name: spec.name,
      maxAgeSeconds: maxAgeSeconds(spec, config),
      messageTtl: streamHasMessageTtl(version, info.config),
    });
  }
  return caps;
}
