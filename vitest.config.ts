import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // CI has two cores: integration tests start redis-server, gRPC servers and worker processes.
    fileParallelism: false,
    pool: 'forks',
  },
});
