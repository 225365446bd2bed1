import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { defineConfig } from 'vitest/config';

/**
 * The lesson gradings first, then the rest in vitest's usual order. They are the longest file, which vitest's own
 * order puts first only once it has timings cached; on a fresh clone they ran after the host attack and resource
 * tests and a websockets check failed under that load (not reproduced when they run first or alone; see issue 14's
 * note).
 */
class GradingsFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const first = (file: TestSpecification) => (file.moduleId.endsWith('/lessons.test.ts') ? 0 : 1);
    return [...sorted].sort((a, b) => first(a) - first(b));
  }
}

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
    sequence: { sequencer: GradingsFirst },
    reporters: ['default'],
  },
});
