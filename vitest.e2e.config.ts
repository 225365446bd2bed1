import { defineConfig } from 'vitest/config';

// Site tests: build the course, serve dist/ with the production server, drive Debian's Chromium.
// Set SITE_URL to test an already running server instead (the build and server steps are skipped).
export default defineConfig({
  test: {
    include: ['tests/e2e/**/*.test.ts'],
    globalSetup: ['tests/e2e/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // One browser and a few dev servers on 2 cores: run files one after another.
    fileParallelism: false,
    reporters: ['default'],
  },
});
