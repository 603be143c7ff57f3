import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Browser crawls and Postgres share two cores: two files at a time.
    maxWorkers: 2,
    pool: 'forks',
  },
});
