import type { Database } from '../../platform/db/database.ts';

/** Where window counts live: one count per bucket and window, shared by whoever must agree. */
export interface RateCounter {
  /** Adds one to the bucket's window and returns the new count. */
  increment(bucket: string, windowStart: number, windowEnd: number): Promise<number>;
  /** Windows held in memory (a memory counter's), for tests and metrics. */
  readonly size?: number;
}

/**
 * Counts in Postgres: every instance of a deployment sees the same counts. Only for `pg`:
 * an embedded PGlite database belongs to one process, which counts in memory instead.
 *
 * The increments asked for during one turn of the event loop go to Postgres as one statement,
 * one row per bucket and window with how many were asked; each caller gets the count its own
 * increment made, exactly as if they had run one by one. A lone request still costs one
 * statement; under load, a round trip is shared by every request that arrived with it.
 */
export function databaseCounter(db: Database): RateCounter {
  interface Ask {
    bucket: string;
    windowStart: number;
    windowEnd: number;
    resolve: (count: number) => void;
    reject: (err: unknown) => void;
  }
  let queue: Ask[] = [];
  const flush = async () => {
    const asks = queue;
    queue = [];
    const groups = new Map<string, Ask[]>();
    for (const a of asks) {
      const key = `${a.windowStart}|${a.bucket}`;
      const g = groups.get(key);
      if (g) g.push(a);
      else groups.set(key, [a]);
    }
    const rowsAsked = [...groups.values()];
    try {
      const rows = await db.query<{ bucket: string; start_ms: number; count: number }>(
        `INSERT INTO rate_windows (bucket, window_start, count, expires_at)
         SELECT b, to_timestamp(s / 1000.0), n, to_timestamp(e / 1000.0)
         FROM unnest($1::text[], $2::bigint[], $3::int[], $4::bigint[]) AS u(b, s, n, e)
         ON CONFLICT (bucket, window_start) DO UPDATE SET count = rate_windows.count + excluded.count
         RETURNING bucket, (extract(epoch FROM window_start) * 1000)::bigint AS start_ms, count`,
        [rowsAsked.map((g) => g[0]!.bucket), rowsAsked.map((g) => g[0]!.windowStart), rowsAsked.map((g) => g.length), rowsAsked.map((g) => g[0]!.windowEnd)],
      );
      for (const row of rows) {
        const key = `${row.start_ms}|${row.bucket}`;
        const g = groups.get(key);
        // The group's increments were the last g.length of the new count, in arrival order.
        g?.forEach((a, i) => a.resolve(row.count - g.length + 1 + i));
        groups.delete(key);
      }
      for (const g of groups.values()) for (const a of g) a.reject(new Error('the rate-limit count came back incomplete'));
    } catch (err) {
      for (const a of asks) a.reject(err);
    }
  };
  return {
    increment(bucket, windowStart, windowEnd) {
      return new Promise<number>((resolve, reject) => {
        if (queue.length === 0) setImmediate(() => void flush());
        queue.push({ bucket, windowStart, windowEnd, resolve, reject });
      });
    },
  };
}

/**
 * Counts in this process's memory (a single-process deployment: embedded PGlite), in at most
 * `max` windows: ended windows go first, and past `max` the least recently counted (a flood of
 * made-up app ids can not grow it without bound). A window (it names its app) is kept no longer
 * than it lasts: ended ones are swept out at most once a second, as counting goes on.
 */
export function memoryCounter(max = 100_000): RateCounter {
  const windows = new Map<string, { end: number; count: number }>();
  /** Counting has reached this time (the latest window start seen); the next sweep is due then. */
  let latest = -Infinity;
  let nextSweep = -Infinity;
  return {
    async increment(bucket, windowStart, windowEnd) {
      latest = Math.max(latest, windowStart);
      if (latest >= nextSweep) {
        for (const [k, v] of windows) if (v.end <= latest) windows.delete(k);
        nextSweep = latest + 1_000;
      }
      const key = `${bucket}|${windowStart}`;
      const w = windows.get(key) ?? { end: windowEnd, count: 0 };
      w.count += 1;
      windows.delete(key); // kept in least-recently-counted order
      windows.set(key, w);
      if (windows.size > max) {
        for (const [k, v] of windows) if (v.end <= windowStart) windows.delete(k);
        for (const k of windows.keys()) {
          if (windows.size <= max) break;
          windows.delete(k);
        }
      }
      return w.count;
    },
    get size() {
      return windows.size;
    },
  };
}
