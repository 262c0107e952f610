// `npm run bench:services` only: a benchmark, never picked up by `npm test` (test/**/*.test.ts).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  root: fileURLToPath(new URL('../..', import.meta.url)),
  test: {
    include: ['scripts/bench-services/**/*.bench-run.ts'],
    pool: 'forks',
    poolOptions: { forks: { singleFork: true } },
    fileParallelism: false,
    disableConsoleIntercept: true,
    testTimeout: 20 * 60_000,
    hookTimeout: 60_000,
  },
});
