import { describe, expect, it } from 'vitest';
import { bytes, duration, table, time } from './format.ts';

describe('ops output', () => {
  it('aligns columns, numbers to the right, empty cells as -', () => {
    expect(table(['name', 'n'], [['drafts', 5], ['bots', 120], ['x', null]]).split('\n')).toEqual([
      'name      n',
      'drafts    5',
      'bots    120',
      'x         -',
    ]);
  });

  it('writes sizes, ages and times for people', () => {
    expect(bytes(512)).toBe('512 B');
    expect(bytes(1536)).toBe('1.5 KiB');
    expect(duration(604_800)).toBe('7d');
    expect(duration(90_061)).toBe('1d1h');
    expect(duration(0)).toBe('none');
    expect(time('2026-05-01T12:00:00.123Z')).toBe('2026-05-01 12:00:00Z');
    expect(time(null)).toBe('-');
  });
});
