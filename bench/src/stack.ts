import {
  addHistory,
  createDatabase,
  createTenant,
  type HistoryTicket,
  updateTenantSettings,
} from '@ai-agents/db';
import {
  createTestDatabase,
  type FakeLlm,
  type FakeServiceDesk,
  freePort,
  type PrivateRedis,
  randomEncryptionKey,
  startFakeLlm,
  startFakeServiceDesk,
  startPrivateRedis,
  type TestDatabase,
} from '@ai-agents/sandbox';
import { createSecretBox, signWebhook } from '@ai-agents/shared';
import { createRedisClient, type RedisClient } from '@ai-agents/shared/redis';
import { type Child, imageNodeFlags, type PeakRss, startNode, waitForHttp } from './processes.js';

const TECHNICIAN_KEY = 'bench-technician-key';

/**
 * The product's protective limits are sized for real tenants (600 webhooks and 300 SDP calls per
 * minute by default); the bench's one tenant sends thousands a second. The limits stay switched on,
 * so the token bucket still runs on every request as shipped, but sized so that they never refuse.
 * 1,000,000 per minute (16,666/s) is above anything two shared cores can take.
 */
const BENCH_WEBHOOK_LIMIT_PER_MINUTE = 1_000_000;
/** The largest SDP_RATE_LIMIT_PER_MINUTE the config accepts. */
const BENCH_SDP_LIMIT_PER_MINUTE = '100000';

/**
 * Environment of every worker the bench starts (a scenario's own values win). Alert-storm grouping
 * (ALERT_STORM_DEDUPE) is off: the pipeline scenarios send tickets whose subjects differ only by a
 * number, which the grouping treats as one storm and answers with one LLM call; the bench measures
 * full enhancements, one LLM call per ticket.
 */
const BENCH_WORKER_ENV: Record<string, string> = {
  SDP_RATE_LIMIT_PER_MINUTE: BENCH_SDP_LIMIT_PER_MINUTE,
  ALERT_STORM_DEDUPE: 'false',
  // No metrics port: two workers run side by side in the scale-out run, and a fixed port could
  // collide with another service on this shared machine. Nothing measured reads it.
  WORKER_HTTP_PORT: '0',
};

export interface Tenant {
  id: string;
  slug: string;
  secret: string;
}

/**
 * Everything the scenarios share: a migrated database of its own, a private redis-server (so the
 * bench can empty it between scenarios without touching the machine's shared one), the sandbox
 * ServiceDesk Plus and fake LLM in this process, one tenant, and the API as a real process.
 */
export interface Stack {
  database: TestDatabase;
  redis: PrivateRedis;
  redisClient: RedisClient;
  sdp: FakeServiceDesk;
  llm: FakeLlm;
  encryptionKey: string;
  tenant: Tenant;
  serviceEnv: Record<string, string>;
  api: { child: Child; url: string };
  webhookUrl(slug?: string): string;
  /** Empties the private Redis: each scenario starts with no jobs and no remembered event ids. */
  resetQueue(): Promise<void>;
  startWorker(env?: Record<string, string>, stdout?: 'ignore' | 'pipe'): Child;
  /** Another API process (e.g. through counting proxies: `env` overrides DATABASE_URL, REDIS_URL). */
  startApi(env?: Record<string, string>): Promise<{ child: Child; url: string }>;
  /** A tenant in the stack's database, or in another migrated one (`databaseUrl`, its app role URL). */
  addTenant(slug: string, history?: HistoryTicket[], databaseUrl?: string): Promise<Tenant>;
  /** Runs `cleanup` when the stack closes (if the scenario has not already), e.g. a proxy's close. */
  defer(cleanup: () => Promise<void>): void;
  close(): Promise<void>;
}

export async function startStack(
  peak: PeakRss,
  say: (m: string) => void,
  opts: { nodeArgs: string[] } = { nodeArgs: [] },
): Promise<Stack> {
  const cleanups: Array<() => Promise<void>> = [];
  const close = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
    cleanups.length = 0;
  };
  try {
    say('creating a migrated database and a private redis-server');
    const database = await createTestDatabase('aiagents_bench');
    cleanups.push(() => database.drop());
    const redis = await startPrivateRedis();
    cleanups.push(() => redis.stop());
    // The services' own factory, with the settings they are given below.
    const redisClient = createRedisClient(
      { redisUrl: redis.url, redisMode: 'single' },
      { maxRetriesPerRequest: 1 },
    );
    cleanups.push(async () => redisClient.disconnect());
    const sdp = await startFakeServiceDesk({ technicianKeys: [TECHNICIAN_KEY] });
    cleanups.push(() => sdp.close());
    const llm = await startFakeLlm();
    cleanups.push(() => llm.close());
    const encryptionKey = randomEncryptionKey();

    const addTenant = async (
      slug: string,
      history: HistoryTicket[] = [],
      databaseUrl = database.appUrl,
    ): Promise<Tenant> => {
      const db = createDatabase({ url: databaseUrl, max: 2 });
      try {
        const created = await createTenant(db.db, createSecretBox(encryptionKey), {
          slug,
          name: `Bench ${slug}`,
          sdpBaseUrl: sdp.url,
          sdpAuthType: 'onprem',
          sdpCredentials: { type: 'onprem', technicianKey: TECHNICIAN_KEY },
          actor: 'bench',
        });
        if (created.outcome !== 'created') throw new Error(`bench tenant ${slug} already exists`);
        const { tenant, webhookSecret } = created;
        await updateTenantSettings(
          { db: db.db, tenantId: tenant.id },
          { webhookRateLimitPerMinute: BENCH_WEBHOOK_LIMIT_PER_MINUTE },
          'bench',
        );
        for (let i = 0; i < history.length; i += 1000) {
          const batch = history.slice(i, i + 1000);
          await addHistory({ db: db.db, tenantId: tenant.id }, batch);
        }
        return { id: tenant.id, slug, secret: webhookSecret };
      } finally {
        await db.close();
      }
    };

    const serviceEnv: Record<string, string> = {
      NODE_ENV: 'development',
      LOG_LEVEL: 'info',
      DATABASE_URL: database.appUrl,
      REDIS_URL: redis.url,
      QUEUE_PREFIX: 'bench',
      ENCRYPTION_KEY: encryptionKey,
      // The intake scenario queues far more than a tenant may normally have waiting (it measures the
      // API with no worker draining); the bound still runs on every webhook, sized never to refuse.
      TENANT_BACKLOG_LIMIT: '1000000',
    };

    // With the node flags of the image's targets, so the bench measures the services as shipped.
    const apiFlags = imageNodeFlags('api', 'apps/api/dist/server.js');
    const workerFlags = imageNodeFlags('worker', 'apps/worker/dist/main.js');
    const startApi = async (env: Record<string, string> = {}) => {
      const port = await freePort();
      const url = `http://127.0.0.1:${port}`;
      const child = startNode(
        'api',
        'apps/api/dist/server.js',
        { ...serviceEnv, HOST: '127.0.0.1', PORT: String(port), ...env },
        { stdout: 'ignore', nodeArgs: [...apiFlags, ...opts.nodeArgs] },
      );
      peak.watch(child, 'api');
      try {
        await waitForHttp(child, `${url}/ready`);
      } catch (error) {
        await child.stop();
        throw error;
      }
      return { child, url };
    };
    say(
      `starting the API (node ${[...apiFlags, 'apps/api/dist/server.js'].join(' ')}, LOG_LEVEL=info, logs to /dev/null)`,
    );
    const api = await startApi();
    cleanups.push(() => api.child.stop());
    const { url } = api;

    return {
      database,
      redis,
      redisClient,
      sdp,
      llm,
      encryptionKey,
      tenant: await addTenant('bench'),
      serviceEnv,
      api,
      webhookUrl: (slug = 'bench') => `${url}/v1/webhooks/servicedesk/${slug}`,
      resetQueue: async () => {
        await redisClient.flushall();
      },
      startWorker(env = {}, stdout = 'ignore') {
        const child = startNode(
          'worker',
          'apps/worker/dist/main.js',
          {
            ...serviceEnv,
            ...BENCH_WORKER_ENV,
            OPENAI_API_KEY: 'sandbox',
            OPENAI_BASE_URL: llm.url,
            ...env,
          },
          { stdout, nodeArgs: [...workerFlags, ...opts.nodeArgs] },
        );
        peak.watch(child, 'worker');
        return child;
      },
      startApi,
      addTenant,
      defer: (cleanup) => cleanups.push(cleanup),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

export function webhookBody(eventId: string, requestId: string): string {
  return JSON.stringify({
    event: 'request.created',
    event_id: eventId,
    request: { id: requestId, subject: 'Benchmark ticket', requester: { name: 'Load Generator' } },
  });
}

/** Sends one signed webhook and insists on 202: a scenario built on rejected events measures nothing. */
export async function sendWebhook(url: string, secret: string, eventId: string, requestId: string) {
  const body = webhookBody(eventId, requestId);
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...signWebhook(secret, body) },
    body,
  });
  const text = await res.text();
  if (res.status !== 202) throw new Error(`webhook answered ${res.status}: ${text}`);
}

/** Sends many webhooks with a bounded number in flight. */
export async function sendWebhooks(
  url: string,
  secret: string,
  events: Array<{ eventId: string; requestId: string }>,
  inFlight = 20,
): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < events.length) {
      const event = events[next++] as { eventId: string; requestId: string };
      await sendWebhook(url, secret, event.eventId, event.requestId);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
}
