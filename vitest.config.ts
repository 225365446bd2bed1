import { defineConfig } from 'vitest/config';

// Lab engine and unit tests: real processes, real sockets, real Redis servers. Site/browser tests have their own
// config (vitest.e2e.config.ts).
export default defineConfig({
  test: {
    include: ['tests/lab/**/*.test.ts', 'tests/unit/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // The cluster tests start many processes; running files one at a time keeps timings honest on 2 cores (two
    // files at once pushed the load past 20 and instances timed out while starting).
    fileParallelism: false,
    // Tests marked concurrent (the lesson gradings) run three at a time: they mostly wait on timers and sockets.
    maxConcurrency: 3,
    reporters: ['default'],
  },
});
