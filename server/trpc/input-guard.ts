import { findValueProblem, valueRefusal } from '../platform/values.ts';

/** Refuses input that nests too deep or holds a NUL byte or a lone surrogate, before validation. */
export async function rejectBadInput(getRawInput: () => Promise<unknown>): Promise<void> {
  const problem = findValueProblem(await getRawInput());
  if (problem) throw valueRefusal(problem);
}
