import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['./test/support/register-modules.ts'],
    testTimeout: 120_000,
    hookTimeout: 240_000,
    // A poll that succeeds returns at once; the default second is too short on a loaded 2-core machine.
    expect: { poll: { timeout: 15_000, interval: 100 } },
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});
