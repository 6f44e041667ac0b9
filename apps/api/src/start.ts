import { type Database, openServiceDatabase } from '@ai-agents/db';
import {
  type ApiConfig,
  createSecretBox,
  EVENT_JOB_OPTIONS,
  EVENTS_QUEUE,
  type Logger,
} from '@ai-agents/shared';
import { assertNoEviction, createRedisClient, type RedisClient, waitForRedis } from '@ai-agents/shared/redis';
import { Queue } from 'bullmq';
import { type ApiApp, buildApp } from './app.js';
import { createApiMetrics } from './metrics.js';
import { createTenantAuth } from './webhook/tenant-auth.js';
import { subscribeTenantChanges } from './webhook/tenant-invalidation.js';

/**
 * The queue producer's Redis connection, checked for an eviction policy that would drop jobs; the
 * database is closed when that check fails, as nothing else will close it.
 */
async function connectProducerRedis(
  config: ApiConfig,
  logger: Logger,
  database: Database,
): Promise<RedisClient> {
  // A producer must fail fast when Redis is away, so the webhook answers 503 at once rather than
  // holding the request while commands queue up in memory.
  const redis = createRedisClient(config, {
    // Commands issued in the same tick (by concurrent webhooks) go out in one write: under a burst,
    // per-command socket writes were a quarter of the API's CPU time (npm run bench, --cpu-prof).
    enableAutoPipelining: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: 2_000,
    connectTimeout: 2_000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  });
  let lastRedisError = 0;
  redis.on('error', (error) => {
    // ioredis reports every reconnect attempt; one line per 10 s is enough to see the outage.
    if (Date.now() - lastRedisError > 10_000) logger.warn({ err: error }, 'Redis connection error');
    lastRedisError = Date.now();
  });
  // Give Redis a moment to connect so the first webhooks do not get 503; if it is down, start anyway:
  // /ready reports it and webhooks answer 503 until it is back.
  if (await waitForRedis(redis, 2_000)) {
    await assertNoEviction(redis, {
      production: config.isProduction,
      warn: (m) => logger.warn(m),
    }).catch(async (error: unknown) => {
      redis.disconnect();
      await database.close();
      throw error;
    });
  } else logger.warn('Redis is not reachable yet; its maxmemory-policy could not be checked');
  return redis;
}

/**
 * Connects the API's dependencies and builds the app. Pools close in the app's onClose hook, so
 * `app.close()` releases everything.
 */
export async function createApi(config: ApiConfig, logger: Logger): Promise<ApiApp> {
  const database = await openServiceDatabase({
    url: config.databaseUrl,
    max: config.databasePoolMax,
    applicationName: 'ai-agents-api',
    production: config.isProduction,
    logger,
  });

  const redis = await connectProducerRedis(config, logger, database);
  const queue = new Queue(EVENTS_QUEUE, {
    connection: redis,
    prefix: config.queuePrefix,
    defaultJobOptions: EVENT_JOB_OPTIONS,
  });
  queue.on('error', (error) => logger.warn({ err: error }, 'queue error'));

  const tenantAuth = createTenantAuth({
    db: database.db,
    box: createSecretBox(config.encryptionKey, config.encryptionKeys),
    ttlMs: config.tenantCacheTtlMs,
  });
  // Operators' changes (disable, retire-secret, …) reach this replica's cache at once.
  const unsubscribe = subscribeTenantChanges({
    subscriber: createRedisClient(config, { retryStrategy: (attempt) => Math.min(attempt * 200, 2_000) }),
    prefix: config.queuePrefix,
    tenantAuth,
    logger,
  });
  const app = await buildApp({
    logger,
    db: database.db,
    redis,
    queue,
    tenantAuth,
    webhookBodyLimitBytes: config.webhookBodyLimitBytes,
    webhookToleranceSeconds: config.webhookToleranceSeconds,
    webhookRateLimitPerMinute: config.webhookRateLimitPerMinute,
    tenantBacklogLimit: config.tenantBacklogLimit,
    feedbackRateLimitPerMinute: config.feedbackRateLimitPerMinute,
    trustProxy: config.trustProxy,
    publicBaseUrl: config.publicBaseUrl,
    metrics: createApiMetrics(queue),
  });
  app.addHook('onClose', async () => {
    await unsubscribe();
    await queue.close();
    redis.disconnect();
    await database.close();
  });
  return app;
}
