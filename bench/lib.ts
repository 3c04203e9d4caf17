/** Small helpers shared by the benchmark scripts. */

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export function median(values: number[]): number {
  return percentile([...values].sort((a, b) => a - b), 50);
}

export const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '-');

/** Prints rows as an aligned text table. */
export function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...cells.slice(1).map(line)].join('\n');
}

/**
 * Runs `fn` in `concurrency` loops until `signal` aborts, recording each call's latency in ms.
 */
export async function loadLoop(concurrency: number, signal: AbortSignal, fn: () => Promise<void>): Promise<number[]> {
  const latencies: number[] = [];
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (!signal.aborted) {
        const t = performance.now();
        await fn();
        latencies.push(performance.now() - t);
      }
    }),
  );
  return latencies.sort((a, b) => a - b);
}

/**
 * Calls `fn` at `rate` per second, evenly spaced, until `signal` aborts, whether or not the
 * calls before have answered (at most `maxInFlight` at once), recording each call's latency
 * in ms from the moment it was due: a stall is charged to every call it delayed, not hidden
 * by the loop waiting for it (coordinated omission).
 */
export async function pacedLoop(rate: number, signal: AbortSignal, fn: () => Promise<void>, maxInFlight = 256): Promise<number[]> {
  const latencies: number[] = [];
  const inFlight = new Set<Promise<void>>();
  const start = performance.now();
  for (let i = 0; !signal.aborted; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    while (inFlight.size >= maxInFlight) await Promise.race(inFlight);
    const call: Promise<void> = fn().then(() => {
      latencies.push(performance.now() - due);
      inFlight.delete(call);
    });
    inFlight.add(call);
  }
  await Promise.all(inFlight);
  return latencies.sort((a, b) => a - b);
}
