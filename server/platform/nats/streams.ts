import {
  DiscardPolicy,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
  type StreamConfig,
  type StreamInfo,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/nats-core';
import { STREAMS, type StreamName, type StreamSpec } from '@mayfly/contracts';
import type { Config } from '../config.ts';
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
  return {
    ...(versionHasMessageTtl(version) ? messageTtlStreamConfig() : {}),
    name: spec.name,
    subjects: [`${spec.prefix}.>`],
    retention: spec.retention.kind === 'work_queue' ? RetentionPolicy.Workqueue : RetentionPolicy.Limits,
    storage: StorageType.File,
    discard: DiscardPolicy.Old,
    max_age: nanos(maxAge * 1000),
    duplicate_window: nanos(dedup * 1000),
    num_replicas: 1,
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

/**
 * Creates every stream of the catalog, or updates it when its settings changed (a new TTL
 * takes effect on the next start). Safe to run from many processes at once.
 */
export async function provisionStreams(
  jsm: JetStreamManager,
  config: Config,
  version = '2.9.0',
): Promise<Map<StreamName, StreamCapabilities>> {
  const caps = new Map<StreamName, StreamCapabilities>();
  for (const [key, spec] of Object.entries(STREAMS) as [StreamName, StreamSpec][]) {
    const want = desiredStreamConfig(spec, config, version);
    let info: StreamInfo;
    try {
      const have = await jsm.streams.info(spec.name);
      const changed =
        have.config.max_age !== want.max_age ||
        have.config.duplicate_window !== want.duplicate_window ||
        have.config.allow_direct !== want.allow_direct ||
        (want.allow_msg_ttl === true && have.config.allow_msg_ttl !== true) ||
        JSON.stringify(have.config.subjects) !== JSON.stringify(want.subjects);
      info = changed ? await jsm.streams.update(spec.name, { ...have.config, ...want }) : have;
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
    caps.set(key, {
      name: spec.name,
      maxAgeSeconds: maxAgeSeconds(spec, config),
      messageTtl: streamHasMessageTtl(version, info.config),
    });
  }
  return caps;
}
