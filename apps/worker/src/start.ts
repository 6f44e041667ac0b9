import { type Db, openServiceDatabase, pgvectorStoreReady, vectorExtension } from '@ai-agents/db';
import type { VectorSearchPath } from '@ai-agents/retrieval';
import {
  EVENT_JOB_OPTIONS,
  EVENTS_QUEUE,
  type JobKind,
  type Logger,
  type WorkerConfig,
} from '@ai-agents/shared';
// A subpath of its own: only the worker loads undici; the API does not need it.
import { createHttpFetch } from '@ai-agents/shared/http-fetch';
import {
  assertNoEviction,
  createRedisClient,
  probeRedis,
  type RedisClient,
  waitForRedis,
} from '@ai-agents/shared/redis';
import { type Job, Queue, UnrecoverableError, Worker, type WorkerOptions } from 'bullmq';
import { createBacklogRelease } from './backlog-release.js';
import { upstreamAwareBackoff } from './backoff.js';
import { createEnhanceDeps } from './enhance-deps.js';
import type { FairShare } from './fair-share/fair-share.js';
import type { WorkerProbe } from './http-server.js';
import { createWorkerMetrics, type WorkerMetrics } from './metrics.js';
import { observeJob } from './observe-job.js';
import { createProcessors, isJobKind, type ProcessorEntry, type Processors } from './processors/index.js';
import { scheduleReconcile } from './reconcile/scheduler.js';
import { scheduleRetention } from './retention/scheduler.js';

export interface RunningWorker {
  worker: Worker;
  metrics: WorkerMetrics;
  /** For the worker's /ready. */
  probe: WorkerProbe;
  /** Stops taking jobs, lets in-flight ones finish, closes connections. */
  close(): Promise<void>;
}

export async function startWorker(config: WorkerConfig, logger: Logger): Promise<RunningWorker> {
  const database = await openServiceDatabase({
    url: config.databaseUrl,
    max: workerPoolSize(config),
    applicationName: 'ai-agents-worker',
    production: config.isProduction,
    logger,
  });

  // Workers block on Redis and must keep retrying through an outage: BullMQ requires
  // maxRetriesPerRequest null on their connection.
  const connection = createRedisClient(config, {
    maxRetriesPerRequest: null,
    // Never give up reconnecting (returning null would stop the worker for good after a Redis restart).
    retryStrategy: (n) => Math.min(n * 500, 5_000),
  });

  // A cluster knows its primaries once it has the slot map; the check reads each one's policy.
  await waitForRedis(connection, 10_000);
  await assertNoEviction(connection, {
    production: config.isProduction,
    warn: (m) => logger.warn(m),
  }).catch(async (error: unknown) => {
    connection.disconnect();
    await database.close();
    throw error;
  });

  const metrics = createWorkerMetrics();
  // Calls to ServiceDesk Plus and the LLM share one keep-alive pool, without the global fetch's overhead.
  const http = createHttpFetch();
  const queue = openSweepQueue(config, connection, logger);
  const vectorSearch = await chooseVectorSearch(config, database.db, logger);
  metrics.vectorSearch.set({ path: vectorSearch }, 1);
  const deps = createEnhanceDeps(
    config,
    { db: database.db, logger, redis: connection, fetch: http.fetch, metrics, vectorSearch },
    { sweepQueue: { queue, redis: connection } },
  );
  const reconcile = await scheduleReconcile(queue, config.reconcileIntervalSeconds);
  logger.info({ reconcile, intervalSeconds: config.reconcileIntervalSeconds }, 'reconcile sweep');
  await scheduleRetention(queue, config.retentionIntervalHours);

  const processors = createProcessors(deps);

  const worker = new Worker(
    EVENTS_QUEUE,
    async (job, token) => {
      if (!isJobKind(job.name, processors)) throw new UnrecoverableError(`No processor for job ${job.name}`);
      return runJob(processors, job.name, job, token, metrics, deps.fairShare);
    },
    workerOptions(config, connection),
  );
  worker.on('error', (error) => logger.warn({ err: error }, 'worker error'));
  releaseFinishedJobs(worker, config, connection, logger);

  return {
    worker,
    metrics,
    probe: {
      running: () => worker.isRunning(),
      dependencies: async () => {
        const [postgres, redis] = await Promise.all([
          answers(() => database.pool.query('select 1')),
          answers(() => probeRedis(connection, config.queuePrefix)),
        ]);
        return { postgres, redis };
      },
    },
    async close() {
      await worker.close();
      await queue.close();
      connection.disconnect();
      await Promise.all([database.close(), http.close()]);
    },
  };
}

/** The reconcile sweep's producer side: its scheduler, the tick's fan-out, the jobs it queues. */
function openSweepQueue(config: WorkerConfig, connection: RedisClient, logger: Logger): Queue {
  const queue = new Queue(EVENTS_QUEUE, {
    connection,
    prefix: config.queuePrefix,
    defaultJobOptions: EVENT_JOB_OPTIONS,
  });
  queue.on('error', (error) => logger.warn({ err: error }, 'queue error'));
  return queue;
}

/** One Worker's options: the lock and stall settings and the backoff that heeds an upstream's Retry-After. */
function workerOptions(config: WorkerConfig, connection: RedisClient): WorkerOptions {
  return {
    connection,
    prefix: config.queuePrefix,
    concurrency: config.concurrency,
    // The lock is renewed every half lockDuration while a job runs; a killed worker's jobs are taken
    // over by another worker once it lapses (stalled-job recovery, checked as often as it can lapse).
    lockDuration: config.lockDurationMs,
    stalledInterval: config.lockDurationMs,
    // A job whose worker died three times is failed instead of killing workers for ever.
    maxStalledCount: 3,
    settings: {
      backoffStrategy: (attemptsMade, _type, error, job) =>
        upstreamAwareBackoff(
          attemptsMade,
          Number(job?.opts.backoff && typeof job.opts.backoff === 'object' ? job.opts.backoff.delay : 2_000),
          error,
        ),
    },
  };
}

/** A finished job (completed, or failed for good) leaves its tenant's backlog; every failure is logged. */
function releaseFinishedJobs(
  worker: Worker,
  config: WorkerConfig,
  connection: RedisClient,
  logger: Logger,
): void {
  const release = createBacklogRelease({
    redis: connection,
    prefix: config.queuePrefix,
    queueName: EVENTS_QUEUE,
    logger,
  });
  worker.on('completed', release);
  worker.on('failed', (job, error) => {
    if (!job) return;
    const final = error instanceof UnrecoverableError || job.attemptsMade >= (job.opts.attempts ?? 1);
    if (final) release(job);
    logger.warn(
      { jobId: job.id, attemptsMade: job.attemptsMade, final, err: error },
      final ? 'job failed for good' : 'job failed; will retry',
    );
  });
}

/**
 * Each in-flight job holds at most one connection, and only for a few short transactions, so the
 * pool grows with concurrency at one connection per ten jobs (no more than the jobs themselves):
 * DATABASE_POOL_MAX is the floor. At concurrency 200 that is 20; a fixed 10 made jobs queue for a
 * connection longer than their own queries took.
 */
export function workerPoolSize(config: Pick<WorkerConfig, 'databasePoolMax' | 'concurrency'>): number {
  return Math.min(config.concurrency, Math.max(config.databasePoolMax, Math.ceil(config.concurrency / 10)));
}

/** 'ok' when the probe resolves within 2 s (the API's /ready uses the same bound). */
async function answers(probe: () => Promise<unknown>): Promise<'ok' | 'unavailable'> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      probe(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('timeout')), 2_000);
      }),
    ]);
    return 'ok';
  } catch {
    return 'unavailable';
  } finally {
    clearTimeout(timer);
  }
}

/**
 * One attempt of a job of kind `kind`, observed (span, duration, outcome), once fair share lets it
 * run: a job it delays (its tenant over its share, its breaker open, its budget used up) is not an
 * attempt and is not observed.
 */
function runJob<K extends JobKind>(
  processors: Processors,
  kind: K,
  job: Job,
  token: string | undefined,
  metrics: WorkerMetrics,
  fairShare: FairShare | undefined,
) {
  const entry = processors[kind] as ProcessorEntry<K>;
  const attempt = () => observeJob(job, metrics, () => entry.run(job, token), entry.outcome);
  return fairShare ? fairShare.run(job, token, kind, attempt) : attempt();
}

/**
 * Chooses at start-up how similar tickets are searched by meaning, and says so: pgvector (HNSW in
 * Postgres) where migrate created its store, because the operator installed the `vector` extension
 * (packages/db/src/embeddings/pgvector.ts); the in-worker scan otherwise, and when the check fails.
 */
async function chooseVectorSearch(config: WorkerConfig, db: Db, logger: Logger): Promise<VectorSearchPath> {
  const extension = await vectorExtension(db).catch(() => 'unknown');
  const store = extension === 'installed' && (await pgvectorStoreReady(db).catch(() => false));
  const search: VectorSearchPath = store ? 'pgvector' : 'scan';
  logger.info(
    { embedder: config.embeddings.embedder, vectorExtension: extension, search },
    'similar tickets by meaning',
  );
  return search;
}
