import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', '.data/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Each file starts its own nats-server and databases; two at a time fits two cores.
    pool: 'forks',
    maxWorkers: 2,
    fileParallelism: true,
  },
});
