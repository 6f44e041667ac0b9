import { findOrStartServices, type TestServices, testServiceSettings } from '@ai-agents/sandbox';

/**
 * vitest's global setup: finds Postgres and Redis once per run (TEST_DATABASE_URL / TEST_REDIS_URL,
 * else the local servers, else containers started with testcontainers; see
 * packages/sandbox/src/test-services.ts) and hands their URLs to every test file as TEST_DATABASE_URL
 * and TEST_REDIS_URL: vitest starts its workers after this, with this process's environment.
 */
let services: TestServices | undefined;

export async function setup(): Promise<void> {
  const say = (line: string) => process.stderr.write(`[test services] ${line}\n`);
  try {
    services = await findOrStartServices({ ...testServiceSettings(process.env), say });
  } catch (error) {
    // Unit tests need neither: they still run, and each integration file fails on its own, naming the
    // address it could not reach.
    say(
      `no Postgres or Redis, and none could be started (${(error as Error).message}): start them, set TEST_DATABASE_URL and TEST_REDIS_URL, or start a container engine`,
    );
    return;
  }
  process.env.TEST_DATABASE_URL = services.databaseUrl;
  process.env.TEST_REDIS_URL = services.redisUrl;
}

export async function teardown(): Promise<void> {
  await services?.stop();
}
