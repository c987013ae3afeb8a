import { defineConfig } from 'vitest/config';

// `npm run test:chaos`: the CI-size chaos batch (20 fixed runs of seed 1), kept out of
// `npm test` while it still finds open violations (docs/reliability.md, issue #6).
export default defineConfig({
  test: {
    include: ['test/chaos.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});
