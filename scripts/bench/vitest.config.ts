// `npm run bench` only: the bench is not a test, and `npm test` (test/**/*.test.ts) never picks it up.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  root: fileURLToPath(new URL('../..', import.meta.url)),
  test: {
    include: ['scripts/bench/**/*.bench-run.ts'],
    pool: 'forks',
    poolOptions: { forks: { singleFork: true } },
    fileParallelism: false,
    // The bench prints its own progress and tables; vitest must not hold them back.
    disableConsoleIntercept: true,
    testTimeout: 45 * 60_000,
    hookTimeout: 60_000,
  },
});
