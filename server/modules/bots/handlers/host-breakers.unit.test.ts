import { describe, expect, it } from 'vitest';
import { HostBreakers } from './host-breakers.ts';

describe('host breakers', () => {
  it('keep one circuit per app and host, and forget an app’s circuits, not a neighbour’s', () => {
    const b = new HostBreakers();
    const first = b.for('a.app', 'https://x.example');
    expect(b.for('a.app', 'https://x.example')).toBe(first);
    b.for('a.app', 'https://y.example');
    b.for('a.app.x', 'https://x.example'); // an app whose id starts with the other's
    b.forget('a.app');
    expect(b.holds('a.app')).toBe(false);
    expect(b.holds('a.app.x')).toBe(true);
    expect(b.for('a.app', 'https://x.example')).not.toBe(first);
  });

  it('hold at most `max` circuits, the least recently used going first', () => {
    const b = new HostBreakers({ max: 2 });
    b.for('a', 'h');
    b.for('b', 'h');
    b.for('a', 'h');
    b.for('c', 'h');
    expect([b.holds('a'), b.holds('b'), b.holds('c')]).toEqual([true, false, true]);
  });
});
