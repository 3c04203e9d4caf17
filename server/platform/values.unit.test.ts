import { describe, expect, it } from 'vitest';
import { findValueProblem, MAX_DEPTH, textNestsDeeper } from './values.ts';

describe('textNestsDeeper', () => {
  it('measures the nesting of JSON text as a parser would, brackets in strings and escaped quotes aside', () => {
    expect(textNestsDeeper('{"a":{"b":[1]}}', 2)).toBe(true);
    expect(textNestsDeeper('{"a":{"b":[1]}}', 3)).toBe(false);
    expect(textNestsDeeper('{"a":"[[[[{{{{"}', 1)).toBe(false);
    expect(textNestsDeeper('{"a":"\\"[[[[\\""}', 1)).toBe(false);
    expect(textNestsDeeper('{"a":"\\\\"}', 1)).toBe(false);
    expect(textNestsDeeper('{"a":"\\\\","b":[[1]]}', 2)).toBe(true);
    expect(textNestsDeeper('[[[', 2)).toBe(true);
    expect(textNestsDeeper('{"unterminated', 0)).toBe(true);
    expect(textNestsDeeper('', 0)).toBe(false);
  });

  it('agrees with the parsed value: deeper text than MAX_DEPTH + wrappers is too deep as a value too', () => {
    for (const depth of [1, 10, MAX_DEPTH - 1, MAX_DEPTH, MAX_DEPTH + 1, 3 * MAX_DEPTH]) {
      const text = `${'{"a":'.repeat(depth)}"x"${'}'.repeat(depth)}`;
      expect(textNestsDeeper(text, depth)).toBe(false);
      expect(textNestsDeeper(text, depth - 1)).toBe(true);
      expect(findValueProblem(JSON.parse(text))?.code === 'too_deep').toBe(depth > MAX_DEPTH);
    }
  });

  it('reads a hundred thousand nested brackets in well under the time JSON.parse takes', () => {
    const deep = `{"context":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    // The fastest of five runs each: a pause of the machine only ever adds to a run's time.
    const fastest = (run: () => void) =>
      Math.min(
        ...Array.from({ length: 5 }, () => {
          const started = performance.now();
          run();
          return performance.now() - started;
        }),
      );
    const scan = fastest(() => expect(textNestsDeeper(deep, 2 * MAX_DEPTH)).toBe(true));
    const parse = fastest(() => void JSON.parse(deep));
    expect(scan).toBeLessThan(parse);
  });
});
