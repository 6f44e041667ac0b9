import { type ApiApp, createApi } from '@ai-agents/api';
import { type EnhancementRow, enhancements, withTenant } from '@ai-agents/db';
import {
  type NodeProcess,
  type SandboxOptions,
  startNodeProcess,
  startSandbox,
  waitFor,
} from '@ai-agents/sandbox';
import {
  createLogger,
  EVENTS_QUEUE,
  effectiveQueuePrefix,
  type Logger,
  loadConfig,
  type RedisMode,
  signWebhook,
} from '@ai-agents/shared';
import { createRedisClient } from '@ai-agents/shared/redis';
import { type RunningWorker, startWorker } from '@ai-agents/worker';
import { Queue } from 'bullmq';
import { eq } from 'drizzle-orm';

export { TECHNICIAN_KEY } from '@ai-agents/sandbox';

/**
 * The whole pipeline for the root tests (reliability, security, end to end): the sandbox (a database
 * of its own, the fake ServiceDesk Plus and LLM, one tenant), the API in-process (listening on
 * 127.0.0.1) and workers in-process or as real processes. It lives here, not in packages/sandbox,
 * because it starts both apps: no package may depend on an app, and no app's tests on another app.
 */
export interface StackOptions extends SandboxOptions {
  /** The in-process API's and workers' logger; default silent. */
  logger?: Logger;
}

const silent = createLogger({ name: 'stack', level: 'silent' });

export async function startStack(options: StackOptions = {}) {
  const sandbox = await startSandbox({
    ...options,
    env: {
      // A killed worker's jobs are taken over within seconds, and a stopping one waits at most 10 s.
      WORKER_LOCK_DURATION_MS: '2000',
      SHUTDOWN_TIMEOUT_MS: '10000',
      ...options.env,
    },
  });
  const { env, redisUrl, sdp, database, tenantId, slug, secret } = sandbox;
  const logger = options.logger ?? silent;

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
  const queue = new Queue(EVENTS_QUEUE, { connection: inspect, prefix: queuePrefix });
  queue.on('error', () => {});

  const stack = {
    ...sandbox,
    /** The prefix the keys really use (a hash tag in cluster mode). */
    queuePrefix,
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
    /** A webhook delivery to the running API, signed with the tenant's secret unless `headers` sign it. */
    post(
      body: unknown,
      headers: Record<string, string> = {},
      as: { slug: string; secret: string } = { slug, secret },
    ): Promise<Response> {
      const raw = typeof body === 'string' ? body : JSON.stringify(body);
      return fetch(`${apiUrl}/v1/webhooks/servicedesk/${as.slug}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...signWebhook(as.secret, raw), ...headers },
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
    rows(forTenant = tenantId): Promise<EnhancementRow[]> {
      return withTenant(database.db, forTenant, (tx) => tx.select().from(enhancements));
    },
    async row(eventId: string, forTenant = tenantId): Promise<EnhancementRow | undefined> {
      return withTenant(database.db, forTenant, async (tx) => {
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
      await sandbox.close();
    },
  };
  return stack;
}

export type Stack = Awaited<ReturnType<typeof startStack>>;

/** startStack() with the API and a worker running in-process: what most end-to-end files test against. */
export async function startRunningStack(options: StackOptions = {}): Promise<Stack> {
  const stack = await startStack(options);
  try {
    await stack.startApi();
    await stack.startWorker();
    return stack;
  } catch (error) {
    await stack.close();
    throw error;
  }
}
