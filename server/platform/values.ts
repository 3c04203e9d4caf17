/** How deep a value may nest (objects and arrays): deeper input is refused before anything reads it. */
export const MAX_DEPTH = 64;

// A NUL byte or a lone surrogate has no place in any text Mayfly keeps or forwards (Postgres
// refuses NUL in text and jsonb; a lone surrogate is not valid Unicode).
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const badText = (s: string) => s.includes('\u0000') || LONE_SURROGATE.test(s);

/** What is wrong with a value, where (a dotted path), or undefined when nothing is. */
export interface ValueProblem {
  path: string;
  message: string;
  code: 'too_deep' | 'invalid_string';
}

/**
 * Finds the first place in `value` that nests deeper than {@link MAX_DEPTH} or holds a NUL
 * byte or a lone surrogate (in a string or a key). Iterative: a value nested a million deep
 * is measured without a stack overflow, and everything that later serialises it (the
 * publisher, a projection, a worker) only ever sees values that pass.
 */
export function findValueProblem(value: unknown, root = ''): ValueProblem | undefined {
  const stack: [unknown, string, number][] = [[value, root, 0]];
  while (stack.length > 0) {
    const [v, path, depth] = stack.pop()!;
    if (typeof v === 'string') {
      if (badText(v)) return { path: path || '(input)', message: 'contains a NUL byte or a lone surrogate', code: 'invalid_string' };
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    if (depth >= MAX_DEPTH) return { path: path || '(input)', message: `nests deeper than ${MAX_DEPTH} levels`, code: 'too_deep' };
    for (const [k, x] of Object.entries(v)) {
      const at = path ? `${path}.${k}` : k;
      if (badText(k)) return { path: at, message: 'contains a NUL byte or a lone surrogate', code: 'invalid_string' };
      stack.push([x, at, depth + 1]);
    }
  }
  return undefined;
}
