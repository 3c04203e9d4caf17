import type { KV } from '@nats-io/kv';
import type { Logger } from '../../server/platform/logger.ts';
import { sleep } from '../../server/platform/sleep.ts';
import { Lease, whileLeader } from './lease.ts';

/**
 * Periodic work that one process of a deployment does at a time (the reconciler, the rollup
 * sealer, the object reaper): whichever process holds the job's lease runs it every
 * `intervalMs`; the others stand by and take over within one lease when it dies.
 */
export interface LeaderJob {
  /** The lease key, and the `component` of its log lines. */
  name: string;
  intervalMs: number;
  /**
   * One pass. `signal` aborts on shutdown or when the lease is lost: stop between steps. A pass
   * that throws is logged and tried again at the next interval; nothing it left undone is lost
   * (each job keeps its work in the broker or the database until it is done).
   */
  run(signal: AbortSignal): Promise<unknown>;
}

export interface LeaderJobDeps {
  leases: KV;
  leaseTtlMs: number;
  holder: string;
  log: Logger;
}

/** Runs a {@link LeaderJob} under its lease until stopped. */
export class LeaderJobRunner {
  readonly #stop = new AbortController();
  #running: Promise<void> | undefined;

  constructor(
    readonly job: LeaderJob,
    private readonly deps: LeaderJobDeps,
  ) {}

  start(): void {
    const { job, deps } = this;
    const lease = new Lease(deps.leases, job.name, deps.holder);
    const log = deps.log.child({ component: job.name });
    this.#running = whileLeader(lease, deps.leaseTtlMs, this.#stop.signal, log, async (signal) => {
      while (!signal.aborted) {
        try {
          await job.run(signal);
        } catch (err) {
          if (!signal.aborted) log.warn({ err }, 'run did not finish; trying again at the next interval');
        }
        await sleep(job.intervalMs, signal);
      }
    });
  }

  /** Stops after the pass in flight; releases the lease so a standby takes over at once. */
  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#running;
  }
}
