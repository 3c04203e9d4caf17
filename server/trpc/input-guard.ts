import { MayflyError } from '../platform/errors.ts';
import { findValueProblem } from '../platform/values.ts';

/** Refuses input that nests too deep or holds a NUL byte or a lone surrogate, before validation. */
export async function rejectBadInput(getRawInput: () => Promise<unknown>): Promise<void> {
  const problem = findValueProblem(await getRawInput());
  if (problem) {
    throw new MayflyError('VALIDATION_FAILED', problem.code === 'too_deep' ? `the input ${problem.message}` : 'text must not contain NUL bytes or lone surrogates', {
      details: [problem],
    });
  }
}
