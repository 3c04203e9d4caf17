/** Aligned text columns, as `kubectl get` prints them: easy to read and to grep. */
export function table(headers: string[], rows: (string | number | null | undefined)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map((c) => (c === null || c === undefined ? '-' : String(c))))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  // Numbers right-aligned, text left-aligned, judged by the first data row.
  const numeric = headers.map((_, i) => rows.some((r) => typeof r[i] === 'number') && rows.every((r) => typeof r[i] === 'number' || r[i] === null || r[i] === undefined));
  const line = (r: string[]) =>
    r
      .map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return cells.map(line).join('\n');
}

/** 1536 -> "1.5 KiB". */
export function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u += 1;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(1)} ${units[u]}`;
}

/** 90061 -> "1d1h1m". 0 -> "none" (no max-age). */
export function duration(seconds: number, zero = 'none'): string {
  if (seconds <= 0) return zero;
  const parts: string[] = [];
  let s = Math.round(seconds);
  if (s === 0) return '<1s';
  for (const [unit, size] of [['d', 86_400], ['h', 3_600], ['m', 60], ['s', 1]] as const) {
    if (s >= size) {
      parts.push(`${Math.floor(s / size)}${unit}`);
      s %= size;
    }
  }
  return parts.slice(0, 2).join('');
}

/** An ISO time as `2026-05-01 12:00:00Z`, or "-". */
export const time = (iso: string | null | undefined) => (iso ? `${iso.slice(0, 19).replace('T', ' ')}Z` : '-');

/** Prints JSON for scripts: one document, pretty, on stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
