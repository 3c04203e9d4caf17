import { MayflyError } from '../platform/errors.ts';

// A NUL byte or a lone surrogate has no place in any text Mayfly keeps or forwards (Postgres
// refuses NUL in text; a lone surrogate is not valid Unicode): refused before validation.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function findBadText(v: unknown, path: string, depth = 0): string | undefined {
  if (typeof v === 'string') return v.includes('\u0000') || LONE_SURROGATE.test(v) ? path || '(input)' : undefined;
  if (depth > 32 || v === null || typeof v !== 'object') return undefined;
  for (const [k, x] of Object.entries(v)) {
    const at = path ? `${path}.${k}` : k;
    const bad = findBadText(k, at, depth + 1) ?? findBadText(x, at, depth + 1);
    if (bad) return bad;
  }
  return undefined;
}

/** Refuses input with a NUL byte or a lone surrogate, before validation. */
export async function rejectBadText(getRawInput: () => Promise<unknown>): Promise<void> {
  const bad = findBadText(await getRawInput(), '');
  if (bad) {
    throw new MayflyError('VALIDATION_FAILED', 'text must not contain NUL bytes or lone surrogates', {
      details: [{ path: bad, message: 'contains a NUL byte or a lone surrogate', code: 'invalid_string' }],
    });
  }
}
