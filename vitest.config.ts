import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Two cores: keep the pool small so oracle subprocesses (dtc, iasl) are not starved.
    pool: 'forks',
    maxWorkers: 2,
  },
});
