import { Presets, SingleBar } from 'cli-progress';
import { duration } from '../format.ts';
import type { ReplayProgress } from './replay.ts';

/** Shows a replay's progress on stderr. */
export interface ProgressView {
  update(p: ReplayProgress): void;
  done(): void;
}

/** The line saying the stream is read and the shadow table's keys and indexes are being built. */
const indexing = (label: string, p: ReplayProgress) => `${label}: ${p.events} events applied; building the table's keys and indexes (seconds per million rows)\n`;

/** How often plain (non-terminal) output prints a line. */
const LINE_EVERY_MS = 2_000;

/**
 * A progress bar with events/s and ETA on a terminal; elsewhere (CI, a log file) a plain line
 * every two seconds, since a redrawn bar would only fill the log with carriage returns.
 */
export function progressView(label: string, out: NodeJS.WriteStream = process.stderr, now = () => performance.now()): ProgressView {
  const t0 = now();
  const rate = (applied: number) => {
    const s = (now() - t0) / 1000;
    return s > 0 ? Math.round(applied / s) : 0;
  };
  if (out.isTTY) {
    const bar = new SingleBar(
      { format: `${label} {bar} {percentage}% | {value}/{total} events | {rate} ev/s | ETA {eta_formatted}`, stream: out, hideCursor: true, etaBuffer: 50 },
      Presets.shades_classic,
    );
    let started = false;
    return {
      update(p) {
        if (p.stage === 'indexing') {
          if (started) bar.stop();
          started = false;
          return void out.write(indexing(label, p));
        }
        const total = p.events + p.pending;
        if (!started) {
          bar.start(total, p.events, { rate: 0 });
          started = true;
        }
        bar.setTotal(total);
        bar.update(p.events, { rate: rate(p.applied) });
      },
      done() {
        if (started) bar.stop();
      },
    };
  }
  let last = -Infinity;
  return {
    update(p) {
      if (p.stage === 'indexing') return void out.write(indexing(label, p));
      if (now() - last < LINE_EVERY_MS) return;
      last = now();
      const r = rate(p.applied);
      const eta = r > 0 ? duration(p.pending / r, '0s') : '?';
      out.write(`${label}: ${p.events} events applied, ${p.pending} to go, ${r} ev/s, ETA ${eta}\n`);
    },
    done() {},
  };
}
