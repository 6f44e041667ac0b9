import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  resolve: {
    // Tests run against the TypeScript sources of the workspace packages, not their build output.
    // (The first matching entry wins: a subpath before its package.)
    alias: {
      '@ai-agents/shared/http-fetch': src('./packages/shared/src/http-fetch.ts'),
      '@ai-agents/shared/redis': src('./packages/shared/src/redis-client.ts'),
      '@ai-agents/shared/tenant-redis': src('./packages/shared/src/tenant-redis-erase.ts'),
      '@ai-agents/shared': src('./packages/shared/src/index.ts'),
      '@ai-agents/db': src('./packages/db/src/index.ts'),
      '@ai-agents/servicedesk': src('./packages/servicedesk/src/index.ts'),
      '@ai-agents/sandbox': src('./packages/sandbox/src/index.ts'),
      '@ai-agents/retrieval': src('./packages/retrieval/src/index.ts'),
      '@ai-agents/api': src('./apps/api/src/index.ts'),
      '@ai-agents/worker': src('./apps/worker/src/index.ts'),
    },
  },
  test: {
    include: ['{apps,packages}/*/{src,test}/**/*.test.ts', 'bench/src/**/*.test.ts', 'test/**/*.test.ts'],
    // Postgres and Redis for the whole run: the local servers, or containers (test/kit/global-setup.ts).
    globalSetup: ['test/kit/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration files each create their own database and queue names, so they may run in parallel;
    // two forks keep the 2-core machine responsive while Postgres and Redis share it.
    pool: 'forks',
    maxWorkers: 2,
  },
});
