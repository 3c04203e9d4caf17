import { describe, expect, it } from 'vitest';
import { addDecimal, decimalOf, formatDecimal, parseDecimal, ZERO } from './decimal.ts';

const sum = (values: number[]) => formatDecimal(values.map(decimalOf).reduce(addDecimal, ZERO));

describe('exact decimal sums', () => {
  it('read numbers at their shortest decimal form, exponents included', () => {
    expect(formatDecimal(decimalOf(0.1))).toBe('0.1');
    expect(formatDecimal(decimalOf(-4.99))).toBe('-4.99');
    expect(formatDecimal(decimalOf(1e21))).toBe('1000000000000000000000');
    expect(formatDecimal(decimalOf(1.5e-7))).toBe('0.00000015');
    expect(formatDecimal(decimalOf(-0))).toBe('0');
    expect(formatDecimal(parseDecimal('12.500'))).toBe('12.5');
    expect(() => parseDecimal('NaN')).toThrow();
  });

  it('add exactly, whatever the order (doubles do not)', () => {
    const values = [0.1, 0.2, 0.3, 4.99, -1.25, 1e-9, 123456789.123];
    expect(0.1 + 0.2 + 0.3).not.toBe(0.3 + 0.2 + 0.1); // the problem
    const forward = sum(values);
    expect(forward).toBe('123456793.463000001');
    expect(sum([...values].reverse())).toBe(forward);
    expect(sum(Array.from({ length: 1000 }, () => 0.1))).toBe('100');
  });
});
