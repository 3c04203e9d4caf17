import { STREAMS, type StreamName } from '@mayfly/contracts';
import type { CheckpointTracker } from './checkpoints.ts';
import type { Broker } from '../../server/platform/nats/connect.ts';
import { isNoMessageFound } from '../../server/platform/nats/errors.ts';
import { unavailable } from '../../server/platform/errors.ts';

/**
 * Read-your-writes on asynchronous projections. Before a read, ask the broker for the last
 * sequence on the subjects the read covers (a direct get, about as cheap as STREAM.INFO) and
 * wait until the projection has applied it. Whichever instance took the write, the broker
 * knows it, so this holds across any number of server processes.
 */
export class ReadConsistency {
  constructor(
    private readonly broker: Broker,
    private readonly tracker: CheckpointTracker,
    private readonly timeoutMs: number,
  ) {}

  /** The last sequence stored under `subjectFilter` in `stream`, or 0 when there is none. */
  async lastSequence(stream: StreamName, subjectFilter: string): Promise<number> {
    try {
      const m = await this.broker.jsm.direct.getMessage(STREAMS[stream].name, { last_by_subj: subjectFilter });
      return m?.seq ?? 0;
    } catch (err) {
      if (isNoMessageFound(err)) return 0;
      throw unavailable('the event broker is not available; try again', err);
    }
  }

  /** Waits until `projection` has applied `stream` (its JetStream name) up to `seq`; 503 PROJECTION_LAGGING after `timeoutMs`. */
  waitForCheckpoint(projection: string, stream: string, seq: number, timeoutMs = this.timeoutMs): Promise<void> {
    return this.tracker.waitFor(projection, stream, seq, timeoutMs);
  }

  /**
   * Waits until `projection` reflects every event under `subjectFilter`; returns the last
   * sequence found there (0: nothing was ever written, or all of it expired).
   */
  async settle(projection: string, stream: StreamName, subjectFilter: string): Promise<number> {
    const seq = await this.lastSequence(stream, subjectFilter);
    if (seq > 0) await this.tracker.waitFor(projection, STREAMS[stream].name, seq, this.timeoutMs);
    return seq;
  }
}
