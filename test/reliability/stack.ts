import { type ApiApp, createApi } from '@ai-agents/api';
import {
  createDatabase,
  createTenant,
  type Database,
  type EnhancementRow,
  enhancements,
  withTenant,
} from '@ai-agents/db';
import {
  createTestDatabase,
  type FakeLlm,
  type FakeServiceDesk,
  type NodeProcess,
  randomEncryptionKey,
  startFakeLlm,
  startFakeServiceDesk,
  startNodeProcess,
  TEST_REDIS_URL,
  type TestDatabase,
  testQueuePrefix,
  waitFor,
} from '@ai-agents/sandbox';
import {
  createLogger,
  createSecretBox,
  ENHANCE_QUEUE,
  effectiveQueuePrefix,
  loadConfig,
  type RedisMode,
  signWebhook,
} from '@ai-agents/shared';
import { createRedisClient } from '@ai-agents/shared/redis';
import { type RunningWorker, startWorker } from '@ai-agents/worker';
import { Queue } from 'bullmq';
import { eq } from 'drizzle-orm';

/**
 * The whole pipeline for reliability tests: a database of its own, the fake ServiceDesk Plus and LLM,
 * one tenant, the API in-process (listening on 127.0.0.1) and workers in-process or as real processes.
 * `sdpUrl` / `databaseUrl` / `redisUrl` let a test put a TCP proxy or a private Redis in between.
 */
export interface StackOptions {
  env?: Record<string, string>;
  /** The tenant's SDP base URL (default: the fake's own URL). */
  sdpUrl?: (sdp: FakeServiceDesk) => string;
  redisUrl?: string;
  /** The worker's and API's database URL (default: the application role, direct). */
  databaseUrl?: (appUrl: string) => string;
  technicianKey?: string;
}

export const TECHNICIAN_KEY = 'reliability-technician-key';
const logger = createLogger({ name: 'reliability', level: 'silent' });

export async function startStack(options: StackOptions = {}) {
  const testDb: TestDatabase = await createTestDatabase();
  const database: Database = createDatabase({ url: testDb.appUrl });
  const sdp: FakeServiceDesk = await startFakeServiceDesk({ technicianKeys: [TECHNICIAN_KEY] });
  const llm: FakeLlm = await startFakeLlm();
  const encryptionKey = randomEncryptionKey();
  const box = createSecretBox(encryptionKey);
  const slug = 'contoso';
  const created = await createTenant(database.db, box, {
    slug,
    name: 'Contoso Ltd',
    sdpBaseUrl: options.sdpUrl?.(sdp) ?? sdp.url,
    sdpAuthType: 'onprem',
    sdpCredentials: { type: 'onprem', technicianKey: options.technicianKey ?? TECHNICIAN_KEY },
    actor: 'test',
  });
  const tenantId = created.tenant.id;
  const secret = created.webhookSecret;
  const redisUrl = options.redisUrl ?? TEST_REDIS_URL;
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
    WORKER_LOCK_DURATION_MS: '2000',
    SHUTDOWN_TIMEOUT_MS: '10000',
    ...options.env,
  };

  let api: ApiApp | undefined;
  let apiUrl = '';
  const workers: RunningWorker[] = [];
  const processes: NodeProcess[] = [];
  // A separate connection for assertions, so a test's view of the queue never depends on the API's.
  // Opened as the services open theirs (REDIS_MODE from `env`), under the prefix their keys use.
  const redisMode = (env.REDIS_MODE ?? 'single') as RedisMode;
  const inspect = createRedisClient({ redisUrl, redisMode }, { maxRetriesPerRequest: null });
  inspect.on('error', () => {});
  const queuePrefix = effectiveQueuePrefix(env.QUEUE_PREFIX ?? '', redisMode);
  const queue = new Queue(ENHANCE_QUEUE, { connection: inspect, prefix: queuePrefix });
  queue.on('error', () => {});

  const stack = {
    env,
    /** The prefix the keys really use (a hash tag in cluster mode). */
    queuePrefix,
    tenantId,
    slug,
    secret,
    sdp,
    llm,
    database,
    testDb,
    queue,
    /** A plain connection to the stack's Redis, for assertions and test setup. */
    redis: inspect,
    get apiUrl() {
      return apiUrl;
    },
    get api() {
      return api;
    },
    async startApi(extra: Record<string, string> = {}) {
      api = await createApi(loadConfig({ ...env, ...extra }, 'api'), logger);
      apiUrl = await api.listen({ host: '127.0.0.1', port: 0 });
      return api;
    },
    async stopApi() {
      await api?.close();
      api = undefined;
    },
    async startWorker(extra: Record<string, string> = {}) {
      const worker = await startWorker(loadConfig({ ...env, ...extra }, 'worker'), logger);
      workers.push(worker);
      return worker;
    },
    /** The built worker as a real process; resolves once it has started. */
    async spawnWorker(extra: Record<string, string> = {}) {
      const child = startNodeProcess('apps/worker/dist/main.js', {
        ...env,
        LOG_LEVEL: 'info',
        // Test files spawn workers in parallel: each takes a free port for its HTTP endpoints.
        WORKER_HTTP_PORT: '0',
        ...extra,
      });
      processes.push(child);
      await waitFor(
        () => (child.output().includes('worker started') ? true : undefined),
        20_000,
        'the worker process to start',
      );
      return child;
    },
    post(body: unknown, headers: Record<string, string> = {}): Promise<Response> {
      const raw = typeof body === 'string' ? body : JSON.stringify(body);
      return fetch(`${apiUrl}/v1/webhooks/servicedesk/${slug}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...signWebhook(secret, raw), ...headers },
        body: raw,
      });
    },
    /** A new ticket in the fake SDP and its signed request.created webhook. */
    async ticket(subject: string, eventId: string, fields: Record<string, unknown> = {}) {
      const request = sdp.addRequest({ subject, description: `<p>${subject}</p>`, ...fields });
      const res = await stack.post({
        event: 'request.created',
        event_id: eventId,
        request: { id: request.id },
      });
      return { request, res };
    },
    rows(): Promise<EnhancementRow[]> {
      return withTenant(database.db, tenantId, (tx) => tx.select().from(enhancements));
    },
    async row(eventId: string): Promise<EnhancementRow | undefined> {
      return withTenant(database.db, tenantId, async (tx) => {
        const [row] = await tx.select().from(enhancements).where(eq(enhancements.eventId, eventId));
        return row;
      });
    },
    /** Waits until every given event is in a final state, and returns the rows. */
    async settled(eventIds: string[], timeoutMs = 30_000, final = ['posted', 'failed', 'skipped']) {
      return waitFor(
        async () => {
          const rows = (await stack.rows()).filter((r) => eventIds.includes(r.eventId));
          return rows.length === eventIds.length && rows.every((r) => final.includes(r.status))
            ? rows
            : undefined;
        },
        timeoutMs,
        `${eventIds.length} events to settle`,
      );
    },
    async close() {
      await api?.close();
      for (const p of processes) await p.kill('SIGKILL');
      for (const w of workers) await w.close().catch(() => {});
      await queue.close().catch(() => {});
      await inspect.quit().catch(() => {});
      await sdp.close();
      await llm.close();
      await database.close();
      await testDb.drop();
    },
  };
  return stack;
}

export type Stack = Awaited<ReturnType<typeof startStack>>;
