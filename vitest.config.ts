import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // vitest's default is one worker fewer than the cores, which on the 2-core machines this
    // project runs on means one file at a time; the suites are CPU-bound and independent.
    maxWorkers: Math.max(2, availableParallelism() - 1),
  },
});
