import { MayflyError } from './errors.ts';

/** How deep a value may nest (objects and arrays): deeper input is refused before anything reads it. */
export const MAX_DEPTH = 64;

// A NUL byte or a lone surrogate has no place in any text Mayfly keeps or forwards (Postgres
// refuses NUL in text and jsonb; a lone surrogate is not valid Unicode).
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const badText = (s: string) => s.includes('\u0000') || LONE_SURROGATE.test(s);

const TOO_DEEP = `nests deeper than ${MAX_DEPTH} levels`;

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
    if (depth >= MAX_DEPTH) return { path: path || '(input)', message: TOO_DEEP, code: 'too_deep' };
    for (const [k, x] of Object.entries(v)) {
      const at = path ? `${path}.${k}` : k;
      if (badText(k)) return { path: at, message: 'contains a NUL byte or a lone surrogate', code: 'invalid_string' };
      stack.push([x, at, depth + 1]);
    }
  }
  return undefined;
}

/**
 * Whether JSON text nests deeper than `limit` (arrays and objects), read without parsing it:
 * strings are skipped with `indexOf`, so a megabyte of text takes well under a millisecond,
 * where parsing a body of a hundred thousand nested brackets takes 10-20 ms of event loop.
 * Text that is not JSON is measured all the same (its parser refuses it later).
 */
export function textNestsDeeper(text: string, limit: number): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 0x22) {
      // To the closing quote: the next one not escaped by an odd run of backslashes.
      let end = i;
      for (;;) {
        end = text.indexOf('"', end + 1);
        if (end === -1) return false;
        let slashes = 0;
        while (text.charCodeAt(end - 1 - slashes) === 0x5c) slashes++;
        if (slashes % 2 === 0) break;
      }
      i = end;
    } else if (ch === 0x5b || ch === 0x7b) {
      if (++depth > limit) return true;
    } else if (ch === 0x5d || ch === 0x7d) depth--;
  }
  return false;
}

/** Text levels a body may have before it is refused unparsed: the input's own, and room for the transports' wrappers. */
export const TEXT_DEPTH_LIMIT = 2 * MAX_DEPTH;

/**
 * The refusal (400 VALIDATION_FAILED) of a request body that nests deeper than
 * {@link TEXT_DEPTH_LIMIT}, found from its text before anything parses it; undefined for any
 * other body. Input between MAX_DEPTH and this is parsed and refused by the input check, which
 * names the path.
 */
export function deepBodyRefusal(text: string): MayflyError | undefined {
  return textNestsDeeper(text, TEXT_DEPTH_LIMIT) ? valueRefusal({ path: '(input)', message: TOO_DEEP, code: 'too_deep' }) : undefined;
}

/** The refusal of input with `problem` (400 VALIDATION_FAILED, the problem as its details). */
export function valueRefusal(problem: ValueProblem): MayflyError {
  const message = problem.code === 'too_deep' ? `the input ${problem.message}` : 'text must not contain NUL bytes or lone surrogates';
  return new MayflyError('VALIDATION_FAILED', message, { details: [problem] });
}
