import { defineConfig } from 'vitest/config';

/** Files that measure time under load: they run one at a time, after everything else. */
const ALONE = '**/*.alone.test.ts';
/** Files that inspect what the whole run left behind (the log audit): after all the others. */
const LAST = '**/*.last.test.ts';

export default defineConfig({
  test: {
    exclude: ['node_modules/**', '.data/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    globalSetup: ['test/support/global-setup.ts'],
    setupFiles: ['test/support/setup.ts'],
    projects: [
      {
        extends: true,
        test: {
          name: 'suite',
          include: ['**/*.test.ts'],
          exclude: ['node_modules/**', '.data/**', ALONE, LAST],
          // Each file starts its own nats-server and databases; two at a time fits two cores.
          maxWorkers: 2,
          fileParallelism: true,
        },
      },
      {
        extends: true,
        test: {
          name: 'alone',
          include: [ALONE],
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
      {
        extends: true,
        test: {
          name: 'last',
          include: [LAST],
          sequence: { groupOrder: 2 },
        },
      },
    ],
  },
});
