import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          // test/fakes/ holds the in-memory ports and the tests that keep them honest.
          include: ['test/unit/**/*.test.ts', 'test/fakes/**/*.test.ts'],
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          // e2e tests share one Docker engine and build images: run files one at a time.
          fileParallelism: false,
          testTimeout: 600_000,
          hookTimeout: 900_000,
          globalSetup: ['test/e2e/global-setup.ts'],
        },
      },
    ],
  },
});
