import { findOrStartServices, type TestServices, testServiceSettings } from '@ai-agents/sandbox';

/**
 * vitest's global setup: finds Postgres and Redis once per run (TEST_DATABASE_URL / TEST_REDIS_URL,
 * else the local servers, else containers started with testcontainers; see
 * packages/sandbox/src/test-services.ts) and hands their URLs to every test file as TEST_DATABASE_URL
 * and TEST_REDIS_URL: vitest starts its workers after this, with this process's environment.
 */
let services: TestServices | undefined;

export async function setup(): Promise<void> {
  services = await findOrStartServices({
    ...testServiceSettings(process.env),
    say: (line) => process.stderr.write(`[test services] ${line}\n`),
  });
  process.env.TEST_DATABASE_URL = services.databaseUrl;
  process.env.TEST_REDIS_URL = services.redisUrl;
}

export async function teardown(): Promise<void> {
  await services?.stop();
}
