import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/helpers/setup.ts'],
    // One PostgreSQL cluster for the run: the command tests make a database each on it (test/helpers/backends.ts).
    globalSetup: ['test/helpers/postgres-setup.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
});
