import { defineConfig } from 'vitest/config';

const SLURM_FILES = ['test/e2e/slurm*.test.ts', 'test/e2e/errors-slurm.test.ts'];

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
          exclude: SLURM_FILES,
          // e2e tests share one Docker engine and build images: run files one at a time.
          fileParallelism: false,
          testTimeout: 600_000,
          hookTimeout: 900_000,
          globalSetup: ['test/e2e/global-setup.ts'],
        },
      },
      {
        test: {
          // The Slurm files: a project of their own, with their own setup (their users, the ready
          // base on the nodes' engines, the cluster answering), one file at a time.
          name: 'slurm',
          include: SLURM_FILES,
          fileParallelism: false,
          testTimeout: 600_000,
          hookTimeout: 900_000,
          globalSetup: ['test/e2e/slurm-setup.ts'],
        },
      },
    ],
  },
});
