import { describe, expect, it } from 'vitest';
import { DeliverySequence } from './delivery-sequence.ts';

describe('DeliverySequence', () => {
  it('accepts deliveries numbered one after the other from 1', () => {
    const s = new DeliverySequence();
    expect([1, 2, 3].map((n) => s.accept(n))).toEqual([true, true, true]);
    expect(s.expected).toBe(4);
  });

  it('refuses a skipped number, a repeated one and a first delivery other than 1', () => {
    const skipped = new DeliverySequence();
    expect([1, 2, 4].map((n) => skipped.accept(n))).toEqual([true, true, false]);
    const repeated = new DeliverySequence();
    expect([1, 2, 2].map((n) => repeated.accept(n))).toEqual([true, true, false]);
    expect(new DeliverySequence().accept(2)).toBe(false);
  });
});
