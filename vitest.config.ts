import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    pool: 'forks',
    // Every file gets its own fresh database, so files may run side by side.
    fileParallelism: true,
    maxWorkers: 2,
    // Upper bounds for a loaded machine; every wait inside a test ends when its condition holds.
    testTimeout: 60_000,
    hookTimeout: 150_000,
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});
