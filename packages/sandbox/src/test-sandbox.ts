import { createDatabase, type Database } from '@ai-agents/db';
import { createSecretBox, type SecretBox } from '@ai-agents/shared';
import { type FakeLlm, type FakeLlmOptions, startFakeLlm } from './fake-llm/index.js';
import {
  type FakeServiceDesk,
  type FakeServiceDeskOptions,
  startFakeServiceDesk,
} from './fake-servicedesk/index.js';
import { type MspPortalOptions, startMspPortal } from './msp-portal.js';
import { type TestTenantOptions, testTenant } from './test-tenant.js';
import {
  createTestDatabase,
  randomEncryptionKey,
  TEST_REDIS_URL,
  type TestDatabase,
  testQueuePrefix,
} from './testing.js';

export const TECHNICIAN_KEY = 'sandbox-technician-key';

export interface SandboxOptions {
  /** Added to (or replacing) the services' environment. */
  env?: Record<string, string>;
  /** The fake ServiceDesk Plus; default: on-premises, accepting TECHNICIAN_KEY. */
  sdp?: FakeServiceDeskOptions;
  /** The fake LLM; default: http on 127.0.0.1. */
  llm?: FakeLlmOptions;
  /** The tenant's ServiceDesk Plus base URL (default: the fake's own URL), e.g. through a TCP proxy. */
  sdpUrl?: (sdp: FakeServiceDesk) => string;
  /** The tenant; default: contoso, on-premises with TECHNICIAN_KEY on the fake. */
  tenant?: TestTenantOptions;
  redisUrl?: string;
  /** The services' database URL (default: the application role, direct), e.g. through PgBouncer. */
  databaseUrl?: (appUrl: string) => string;
}

/**
 * Everything a test of the API or the worker runs against, short of the services themselves: a
 * migrated database of its own, the fake ServiceDesk Plus and LLM, an encryption key, one tenant,
 * and the environment `loadConfig` turns into the services' configuration (its own queue prefix).
 * The services are started by the test (or by test/kit/stack.ts): this package depends on no app.
 */
export async function startSandbox(options: SandboxOptions = {}) {
  const testDb: TestDatabase = await createTestDatabase();
  const database: Database = createDatabase({ url: testDb.appUrl });
  const sdp: FakeServiceDesk = await startFakeServiceDesk(
    options.sdp ?? { technicianKeys: [TECHNICIAN_KEY] },
  );
  const llm: FakeLlm = await startFakeLlm(options.llm);
  const encryptionKey = randomEncryptionKey();
  const box: SecretBox = createSecretBox(encryptionKey);
  const { tenant, webhookSecret } = await testTenant(database.db, box, {
    slug: 'contoso',
    name: 'Contoso Ltd',
    technicianKey: TECHNICIAN_KEY,
    ...options.tenant,
    sdpBaseUrl: options.tenant?.sdpBaseUrl ?? options.sdpUrl?.(sdp) ?? sdp.url,
  });
  const redisUrl = options.redisUrl ?? TEST_REDIS_URL;
  const mspPortals: FakeServiceDesk[] = [];
  const env: Record<string, string> = {
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    DATABASE_URL: options.databaseUrl?.(testDb.appUrl) ?? testDb.appUrl,
    REDIS_URL: redisUrl,
    QUEUE_PREFIX: testQueuePrefix(),
    ENCRYPTION_KEY: encryptionKey,
    OPENAI_API_KEY: 'sandbox',
    OPENAI_BASE_URL: llm.url,
    LLM_MAX_RETRIES: '1',
    LLM_TIMEOUT_MS: '5000',
    SDP_TIMEOUT_MS: '5000',
    // No reconcile sweep unless a test asks for one: tests count ServiceDesk Plus calls and jobs
    // exactly, and a sweep adds a list call per tick (test/reliability/reconcile-sweep.test.ts sets it).
    RECONCILE_INTERVAL_SECONDS: '0',
    // Nor a retention job: tests count the queue's jobs; test/reliability/retention.test.ts turns it on.
    RETENTION_INTERVAL_HOURS: '0',
    ...options.env,
  };
  return {
    env,
    redisUrl,
    testDb,
    database,
    sdp,
    llm,
    encryptionKey,
    box,
    /** The tenant's row, id, slug and webhook secret. */
    tenant,
    tenantId: tenant.id,
    slug: tenant.slug,
    secret: webhookSecret,
    /** Another tenant in the same database, on the same encryption key. */
    addTenant: (tenantOptions: TestTenantOptions = {}) => testTenant(database.db, box, tenantOptions),
    /**
     * Another fake ServiceDesk Plus, of an MSP edition, with accounts and their tickets (msp-portal.ts);
     * closed with the sandbox. Its `sdp.url` is what an MSP connection stores as its base URL.
     */
    async addMspPortal(portal: MspPortalOptions) {
      const started = await startMspPortal(portal);
      mspPortals.push(started.sdp);
      return started;
    },
    async close() {
      await Promise.all(mspPortals.map((portal) => portal.close()));
      await sdp.close();
      await llm.close();
      await database.close();
      await testDb.drop();
    },
  };
}

export type Sandbox = Awaited<ReturnType<typeof startSandbox>>;
