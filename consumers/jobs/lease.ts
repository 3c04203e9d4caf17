import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/nats-core';
import type { Logger } from '../../server/platform/logger.ts';
import { sleep } from '../../server/platform/sleep.ts';

/** KV bucket holding one key per leadership role (a projection, the reconciler). */
export const LEASE_BUCKET = 'mayfly_leases';

/**
 * Opens (or creates) the lease bucket; its max-age is the lease length and it keeps `replicas`
 * copies (NATS_STREAM_REPLICAS), so a lease outlives the loss of the node that held it. An
 * existing bucket is brought to those copies (nats.js leaves an existing bucket's config as is).
 */
export async function openLeaseBucket(nc: NatsConnection, ttlMs: number, replicas = 1): Promise<KV> {
  const kv = await new Kvm(nc).create(LEASE_BUCKET, { history: 1, ttl: ttlMs, replicas });
  const jsm = await jetstreamManager(nc);
  const stream = `KV_${LEASE_BUCKET}`;
  const have = (await jsm.streams.info(stream)).config;
  if (have.num_replicas !== replicas) await jsm.streams.update(stream, { ...have, num_replicas: replicas });
  return kv;
}

/**
 * Leader election through a JetStream KV key. The holder renews well within the bucket's
 * max-age; a crashed holder stops renewing, its entry ages out of the bucket, and the next
 * `create` succeeds elsewhere. A holder that cannot renew in time gives up at once.
 */
export class Lease {
  #revision = 0;

  constructor(
    private readonly kv: KV,
    readonly key: string,
    readonly holder: string,
  ) {}

  /** True when this holder now owns the key. */
  async tryAcquire(): Promise<boolean> {
    try {
      this.#revision = await this.kv.create(this.key, this.holder);
      return true;
    } catch {
      // Taken: by us before a reconnect (take it back), or by someone else.
      const entry = await this.kv.get(this.key).catch(() => null);
      if (entry?.operation !== 'PUT') return false;
      const current = entry.string();
      // Ours from before a reconnect, or a dead process's on this host (restart after a
      // crash): take it over at its revision instead of waiting for it to age out.
      if (current === this.holder || deadLocalHolder(current)) return this.renewAt(entry.revision);
      return false;
    }
  }

  /**
   * Takes the key whoever holds it (a replay moving a projection's checkpoint back): the
   * holder's next renewal fails, so it stands by, and re-seats its consumer at checkpoint + 1
   * once it gets the key back.
   */
  async seize(): Promise<void> {
    this.#revision = await this.kv.put(this.key, this.holder);
  }

  /** Extends the lease; false when it was lost. */
  async renew(): Promise<boolean> {
    return this.renewAt(this.#revision);
  }

  private async renewAt(revision: number): Promise<boolean> {
    try {
      this.#revision = await this.kv.update(this.key, this.holder, revision);
      return true;
    } catch {
      return false;
    }
  }

  /** Gives the lease up so that a standby takes over without waiting for it to age out. */
  async release(): Promise<void> {
    await this.kv.delete(this.key, { previousSeq: this.#revision }).catch(() => undefined);
  }
}

/**
 * Runs `work` whenever this process holds `lease`, until `stop` aborts. `work` gets a signal
 * that aborts when the lease is lost or on stop; it is started again after a re-election.
 */
export async function whileLeader(
  lease: Lease,
  ttlMs: number,
  stop: AbortSignal,
  log: Logger,
  work: (signal: AbortSignal) => Promise<void>,
): Promise<void> {
  const tick = Math.max(100, Math.floor(ttlMs / 3));
  while (!stop.aborted) {
    if (!(await lease.tryAcquire().catch(() => false))) {
      await sleep(tick, stop);
      continue;
    }
    log.info({ lease: lease.key }, 'lease acquired');
    const lost = new AbortController();
    const onStop = () => lost.abort();
    stop.addEventListener('abort', onStop);
    // Stopped while the acquire was in flight: the listener above will never fire.
    if (stop.aborted) lost.abort();
    const renewer = setInterval(() => {
      void lease.renew().then((ok) => {
        if (!ok && !lost.signal.aborted) {
          log.warn({ lease: lease.key }, 'lease lost');
          lost.abort();
        }
      });
    }, tick);
    try {
      await work(lost.signal);
    } catch (err) {
      log.error({ err, lease: lease.key }, 'leader work failed; retrying');
      await sleep(tick, stop);
    } finally {
      clearInterval(renewer);
      stop.removeEventListener('abort', onStop);
      if (!lost.signal.aborted || stop.aborted) await lease.release();
      lost.abort();
    }
  }
}

/** A holder id: host, pid and a random part (a pid can be reused). */
export function holderId(): string {
  return `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
}

function deadLocalHolder(holder: string): boolean {
  const [host, pid] = holder.split(':');
  if (host !== hostname() || !pid || Number(pid) === process.pid) return false;
  try {
    process.kill(Number(pid), 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
