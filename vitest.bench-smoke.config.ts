import { defineConfig } from 'vitest/config';

/** `npm run test:bench-smoke`: the bench harness's smoke run, alone (kept out of `npm test`: it needs the CPU). */
export default defineConfig({
  test: {
    name: 'bench-smoke',
    include: ['test/bench-smoke.test.ts'],
    testTimeout: 150_000,
    hookTimeout: 30_000,
    pool: 'forks',
    reporters: ['default'],
  },
});
