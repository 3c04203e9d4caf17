// Runs before every test file. `vi.waitFor` gives up after one second unless told otherwise,
// which on a loaded two-core machine is shorter than a mail, a projection or a lease takes:
// what a test waits for it may wait for up to 15 s (a call that names its own timeout keeps it).
import { vi } from 'vitest';

const waitFor = vi.waitFor.bind(vi);
vi.waitFor = ((callback, options) =>
  waitFor(callback, typeof options === 'number' ? options : { timeout: 15_000, interval: 50, ...options }));
