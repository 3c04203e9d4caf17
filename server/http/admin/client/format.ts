// Numbers as an operator reads them: grouped digits, binary sizes, short durations, relative times.

const grouped = new Intl.NumberFormat('en', { maximumFractionDigits: 1 });

/** 1234567 → "1,234,567"; null → "–". */
export const num = (n: number | null | undefined) => (n === null || n === undefined ? '–' : grouped.format(n));

/** Bytes in KiB, MiB, GiB. */
export function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

/** Seconds as "45 s", "12 min", "3.5 h", "7 d"; 0 max-age means "kept". */
export function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return '–';
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < 120) return `${Math.round(seconds)} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172_800) return `${(seconds / 3600).toFixed(seconds < 36_000 ? 1 : 0)} h`;
  return `${(seconds / 86_400).toFixed(seconds < 864_000 ? 1 : 0)} d`;
}

/** An ISO time as "12 s ago" (the exact time goes in a title). */
export function ago(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '–';
  const s = (now - Date.parse(iso)) / 1000;
  return s < 1 ? 'just now' : `${duration(s)} ago`;
}

/** An ISO time in the browser's zone, to the second. */
export const time = (iso: string | null | undefined) => (iso ? new Date(iso).toLocaleString('en-GB', { hour12: false }) : '–');

/** A rate per second. */
export const rate = (n: number | null | undefined) => (n === null || n === undefined ? '–' : `${n < 10 ? n.toFixed(2) : grouped.format(n)}/s`);
