import { createDatabase, type Database } from '@ai-agents/db';
import {
  createTestDatabase,
  randomEncryptionKey,
  TEST_REDIS_URL,
  type TestDatabase,
  type TestTenantOptions,
  testQueuePrefix,
  testTenant,
} from '@ai-agents/sandbox';
import { type ApiConfig, createSecretBox, EVENTS_QUEUE, loadConfig } from '@ai-agents/shared';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';

/**
 * What an API test file starts from: its own migrated database, queue prefix and encryption key,
 * so files run in parallel. The app itself is built by each test, from `config()`, because the
 * files differ in the settings they test.
 */
export interface ApiFixture {
  testDb: TestDatabase;
  database: Database;
  prefix: string;
  encryptionKey: string;
  /** The API's configuration over this database and prefix, `overrides` on top. */
  config(overrides?: Record<string, string>): ApiConfig;
  /** A tenant row encrypted with this fixture's key; its webhook secret is returned once. */
  addTenant(options?: TestTenantOptions): ReturnType<typeof testTenant>;
  /** The enhancement queue under this prefix and its Redis connection, to see what intake stored. */
  openQueue(): { queue: Queue; connection: Redis };
  /** Obliterates what the apps queued under the prefix, closes the pool and drops the database. */
  close(): Promise<void>;
}

/** The API's configuration for a test's own database, queue prefix and key, `overrides` on top. */
export function apiTestConfig(
  test: { databaseUrl: string; prefix: string; encryptionKey: string },
  overrides: Record<string, string> = {},
): ApiConfig {
  return loadConfig(
    {
      NODE_ENV: 'test',
      DATABASE_URL: test.databaseUrl,
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: test.prefix,
      ENCRYPTION_KEY: test.encryptionKey,
      ...overrides,
    },
    'api',
  );
}

export async function createApiFixture(options: { poolSize?: number } = {}): Promise<ApiFixture> {
  const testDb = await createTestDatabase();
  const database = createDatabase({
    url: testDb.appUrl,
    ...(options.poolSize ? { max: options.poolSize } : {}),
  });
  const prefix = testQueuePrefix();
  const encryptionKey = randomEncryptionKey();
  const box = createSecretBox(encryptionKey);
  let opened: { queue: Queue; connection: Redis } | undefined;
  const openQueue = () => {
    if (!opened) {
      const connection = new Redis(TEST_REDIS_URL);
      opened = { queue: new Queue(EVENTS_QUEUE, { connection, prefix }), connection };
    }
    return opened;
  };
  return {
    testDb,
    database,
    prefix,
    encryptionKey,
    config: (overrides = {}) =>
      apiTestConfig({ databaseUrl: testDb.appUrl, prefix, encryptionKey }, overrides),
    addTenant: (tenant) => testTenant(database.db, box, tenant),
    openQueue,
    async close() {
      const { queue, connection } = openQueue();
      await queue.obliterate({ force: true });
      await queue.close();
      connection.disconnect();
      await database.close();
      await testDb.drop();
    },
  };
}
