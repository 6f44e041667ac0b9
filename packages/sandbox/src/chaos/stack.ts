import { randomUUID } from 'node:crypto';
import { createDatabase, createTenant } from '@ai-agents/db';
import { createSecretBox } from '@ai-agents/shared';
import { startFakeLlm } from '../fake-llm/index.js';
import { startFakeServiceDesk } from '../fake-servicedesk/index.js';
import { type NodeProcess, startNodeProcess } from '../node-process.js';
import { createTestDatabase, freePort, startPrivateRedis, type TestDatabase, waitFor } from '../testing.js';

const TECHNICIAN_KEY = 'chaos-key';
export const CHAOS_SLUG = 'chaos';

/** One service the run started and may stop and start again (same port, same environment). */
export interface Restartable {
  stop(signal: NodeJS.Signals): Promise<void>;
  start(): Promise<void>;
  output(): string;
}

/** The API and worker of a chaos run, and where to reach them. */
export interface ChaosServices {
  webhookUrl: string;
  /** The worker's /metrics, on a port of its own so it can be read between restarts. */
  metricsUrl: string;
  api: Restartable;
  worker: Restartable;
}

/** The database, a persistent private Redis and the two fakes; the tenant and services come later. */
export async function startChaosBackends(cleanups: (() => Promise<unknown>)[]) {
  const database = await createTestDatabase('aiagents_chaos');
  cleanups.push(() => database.drop());
  const redis = await startPrivateRedis({ persistent: true });
  cleanups.push(() => redis.destroy());
  const sdp = await startFakeServiceDesk({ technicianKeys: [TECHNICIAN_KEY] });
  cleanups.push(() => sdp.close());
  const llm = await startFakeLlm();
  cleanups.push(() => llm.close());
  return { database, redis, sdp, llm };
}

/** Onboards the chaos tenant (its reconcile cursor starts now): its id and webhook secret. */
export async function onboardChaosTenant(database: TestDatabase, sdpUrl: string, encryptionKey: string) {
  const db = createDatabase({ url: database.appUrl, max: 2 });
  try {
    const created = await createTenant(db.db, createSecretBox(encryptionKey), {
      slug: CHAOS_SLUG,
      name: 'Chaos Ltd',
      sdpBaseUrl: sdpUrl,
      sdpAuthType: 'onprem',
      sdpCredentials: { type: 'onprem', technicianKey: TECHNICIAN_KEY },
      actor: 'chaos',
    });
    if (created.outcome !== 'created') throw new Error('the chaos tenant already exists');
    return { tenantId: created.tenant.id, secret: created.webhookSecret };
  } finally {
    await db.close();
  }
}

/** A built entry point as a real process that can be stopped and started again with the same environment. */
function restartable(script: string, ready: string, env: Record<string, string>): Restartable {
  let current: NodeProcess | undefined;
  let lastOutput = '';
  return {
    async start() {
      const child = startNodeProcess(script, env);
      current = child;
      await waitFor(() => (child.output().includes(ready) ? true : undefined), 30_000, script);
    },
    async stop(signal) {
      const child = current;
      current = undefined;
      if (!child) return;
      await child.kill(signal);
      lastOutput = child.output();
    },
    output: () => current?.output() ?? lastOutput,
  };
}

/** The API and the worker as real processes, with a short reconcile interval for the worker. */
export async function startChaosServices(
  backends: Awaited<ReturnType<typeof startChaosBackends>>,
  encryptionKey: string,
  reconcileSeconds: number,
): Promise<ChaosServices> {
  const [apiPort, workerPort] = [await freePort(), await freePort()];
  const env = {
    NODE_ENV: 'test',
    LOG_LEVEL: 'info',
    DATABASE_URL: backends.database.appUrl,
    REDIS_URL: backends.redis.url,
    QUEUE_PREFIX: `chaos-${randomUUID().slice(0, 8)}`,
    ENCRYPTION_KEY: encryptionKey,
    OPENAI_API_KEY: 'sandbox',
    OPENAI_BASE_URL: backends.llm.url,
    HOST: '127.0.0.1',
    PORT: String(apiPort),
    WORKER_LOCK_DURATION_MS: '3000',
    WORKER_CONCURRENCY: '20',
    WORKER_HTTP_PORT: String(workerPort),
    // Short, so what no webhook brought in is noted within seconds rather than the default two minutes.
    RECONCILE_INTERVAL_SECONDS: String(reconcileSeconds),
    SDP_RATE_LIMIT_PER_MINUTE: '100000',
    WEBHOOK_RATE_LIMIT_PER_MINUTE: '100000',
    // All events belong to one tenant and are sent as fast as the sender can: above the default bound.
    TENANT_BACKLOG_LIMIT: '100000',
  };
  const api = restartable('apps/api/dist/server.js', 'Server listening', env);
  const worker = restartable('apps/worker/dist/main.js', 'worker started', env);
  await api.start();
  await worker.start();
  return {
    webhookUrl: `http://127.0.0.1:${apiPort}/v1/webhooks/servicedesk/${CHAOS_SLUG}`,
    metricsUrl: `http://127.0.0.1:${workerPort}/metrics`,
    api,
    worker,
  };
}
