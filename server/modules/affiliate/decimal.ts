/**
 * Exact decimal sums for conversion values. Floating-point addition depends on order, and a
 * replay folds the same events in different batches: sums of doubles would then differ in
 * their last digits. A value is taken at its shortest decimal form (what the client sent),
 * summed exactly here and in Postgres (`numeric`), and only the final total becomes a number.
 */
export interface Decimal {
  /** The value times 10^scale. */
  unscaled: bigint;
  scale: number;
}

export const ZERO: Decimal = { unscaled: 0n, scale: 0 };

const PLAIN = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]?\d+))?$/i;

/** Parses a decimal in plain or exponent notation (`12.5`, `-1e-7`, `1e+21`). */
export function parseDecimal(text: string): Decimal {
  const m = PLAIN.exec(text);
  if (!m) throw new Error(`not a decimal number: ${text}`);
  const [, sign = '', int = '0', frac = '', exp = '0'] = m;
  let unscaled = BigInt(`${int}${frac}`);
  let scale = frac.length - Number(exp);
  if (scale < 0) {
    unscaled *= 10n ** BigInt(-scale);
    scale = 0;
  }
  return { unscaled: sign === '-' ? -unscaled : unscaled, scale };
}

/** A finite number as the exact decimal of its shortest representation. */
export const decimalOf = (n: number): Decimal => parseDecimal(String(n));

/** a + b, exactly. */
export function addDecimal(a: Decimal, b: Decimal): Decimal {
  const scale = Math.max(a.scale, b.scale);
  const up = (d: Decimal) => d.unscaled * 10n ** BigInt(scale - d.scale);
  return { unscaled: up(a) + up(b), scale };
}

/** Plain notation without trailing zeros, as Postgres `numeric` reads it (`-0.125`, `42`). */
export function formatDecimal(d: Decimal): string {
  let { unscaled, scale } = d;
  while (scale > 0 && unscaled % 10n === 0n) {
    unscaled /= 10n;
    scale -= 1;
  }
  const negative = unscaled < 0n;
  const digits = (negative ? -unscaled : unscaled).toString().padStart(scale + 1, '0');
  const int = digits.slice(0, digits.length - scale);
  const frac = digits.slice(digits.length - scale);
  return `${negative ? '-' : ''}${int}${frac ? `.${frac}` : ''}`;
}
