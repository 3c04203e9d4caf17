/** A failure the operator can act on: printed as one line, exit code 1, no stack. */
export class OpsError extends Error {
  override name = 'OpsError';
}
