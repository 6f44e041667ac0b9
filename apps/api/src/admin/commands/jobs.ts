import {
  type FailedEnhancement,
  findEnhancementByEvent,
  findWebhookTenant,
  listFailedEnhancements,
} from '@ai-agents/db';
import {
  creationJobId,
  EVENT_JOB_OPTIONS,
  EVENTS_QUEUE,
  type EventJob,
  eventJobId,
  eventJobSchema,
  jobKindForEvent,
} from '@ai-agents/shared';
import type { RedisClient } from '@ai-agents/shared/redis';
import type { Job, Queue } from 'bullmq';
import type { Command } from 'commander';
import { type AdminContext, AdminError, withContext } from '../context.js';

// Failed jobs are read in pages so a large failed set never sits in memory at once.
const PAGE = 200;

interface FailedJobView {
  id: string;
  tenantId: string | null;
  eventId: string | null;
  requestId: string | null;
  attempts: number;
  failedAt: string | null;
  /** BullMQ's failure reason: the safe error message the worker threw. */
  reason: string;
  /** What the worker recorded in `enhancements.error`, when it got that far. */
  recordedError: string | null;
}

/** Runs `fn` with the enhancement queue; jobs commands need Redis, which other admin commands do not. */
export async function withQueue<T>(
  command: Command,
  fn: (ctx: AdminContext, queue: Queue, redis: RedisClient) => Promise<T>,
) {
  return withContext(command, async (ctx) => {
    if (!ctx.config.redisUrl)
      throw new AdminError('REDIS_URL is required for jobs commands (the queue lives in Redis)', 2);
    const [{ createRedisClient }, { Queue }] = await Promise.all([
      import('@ai-agents/shared/redis'),
      import('bullmq'),
    ]);
    const connection = createRedisClient(
      { redisUrl: ctx.config.redisUrl, redisMode: ctx.config.redisMode },
      {
        maxRetriesPerRequest: 1,
        enableOfflineQueue: true,
        connectTimeout: 5_000,
        retryStrategy: (attempt) => (attempt > 3 ? null : 500),
      },
    );
    connection.on('error', () => {
      // Reported by the failing command itself.
    });
    const queue = new Queue(EVENTS_QUEUE, { connection, prefix: ctx.config.queuePrefix });
    try {
      // Let the queue finish connecting first: closing it mid-handshake leaves a rejected promise.
      await queue.waitUntilReady();
      return await fn(ctx, queue, connection);
    } finally {
      await queue.close();
      // quit waits for pending replies; disconnect would reject them.
      await connection.quit().catch(() => {});
    }
  });
}

async function* failedJobs(queue: Queue): AsyncGenerator<Job> {
  // Retrying removes jobs from the failed set, so pages are read before any is retried.
  const total = await queue.getFailedCount();
  const jobs: Job[] = [];
  for (let start = 0; start < total; start += PAGE) {
    jobs.push(...(await queue.getFailed(start, start + PAGE - 1)));
  }
  yield* jobs.filter(Boolean);
}

async function describeJob(ctx: AdminContext, job: Job): Promise<FailedJobView> {
  const data = eventJobSchema.safeParse(job.data);
  const recorded = data.success
    ? await findEnhancementByEvent({ db: ctx.database.db, tenantId: data.data.tenantId }, data.data.eventId)
    : null;
  return {
    id: String(job.id),
    tenantId: data.success ? data.data.tenantId : null,
    eventId: data.success ? data.data.eventId : null,
    requestId: data.success ? data.data.requestId : null,
    attempts: job.attemptsMade,
    failedAt: job.finishedOn ? new Date(job.finishedOn).toISOString() : null,
    reason: job.failedReason ?? '',
    recordedError: recorded?.error ?? null,
  };
}

async function tenantIdOf(ctx: AdminContext, slug: string): Promise<string> {
  const tenant = await findWebhookTenant(ctx.database.db, slug);
  if (!tenant) throw new AdminError(`No tenant with slug "${slug}"`);
  return tenant.id;
}

async function retry(job: Job): Promise<void> {
  // A fresh set of attempts: the operator retries because the cause is fixed.
  await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
}

/** The tenant's failed enhancements, every one, a page at a time. */
async function* failedEnhancements(ctx: AdminContext, tenantId: string): AsyncGenerator<FailedEnhancement> {
  let after: string | undefined;
  for (;;) {
    const page = await listFailedEnhancements(
      { db: ctx.database.db, tenantId },
      { limit: PAGE, ...(after ? { after } : {}) },
    );
    yield* page;
    if (page.length < PAGE) return;
    after = page[page.length - 1]?.id;
  }
}

/**
 * One failed event queued again with fresh attempts, under the id the API gives it (a request.created
 * under its (tenant, request id) id; older jobs may carry the event's id, so that one is looked at
 * too). A job still in the failed set is retried; one still queued or running is left alone; one gone
 * (evicted from the capped failed set) is added anew. The enhancement's claim lets the new attempt
 * take over the failed row, so the ticket still gets one note. Returns the job id, or null if queued.
 */
async function requeueFailed(
  queue: Queue,
  tenantId: string,
  failed: FailedEnhancement,
): Promise<string | null> {
  const ids =
    failed.event === 'request.created'
      ? [creationJobId(tenantId, failed.sdpRequestId), eventJobId(tenantId, failed.eventId)]
      : [eventJobId(tenantId, failed.eventId)];
  for (const id of ids) {
    const job = await queue.getJob(id);
    if (!job) continue;
    const state = await job.getState();
    if (state === 'failed') {
      await retry(job);
      return id;
    }
    if (state !== 'completed' && state !== 'unknown') return null;
    // Completed (kept for inspection) while its enhancement failed: make room for a new job.
    await job.remove();
  }
  const data: EventJob = {
    tenantId,
    eventId: failed.eventId,
    event: failed.event,
    requestId: failed.sdpRequestId,
    receivedAt: Date.now(),
  };
  const [jobId] = ids as [string];
  await queue.add(jobKindForEvent(failed.event), data, { ...EVENT_JOB_OPTIONS, jobId });
  return jobId;
}

export function registerJobsCommands(program: Command): void {
  const jobs = program.command('jobs').description('inspect and retry enhancement jobs that failed for good');

  jobs
    .command('failed')
    .description('list jobs in the failed set, with the recorded error')
    .option('--tenant <slug>', 'only this tenant')
    .action(async (opts: { tenant?: string }, command: Command) => {
      await withQueue(command, async (ctx, queue) => {
        const tenantId = opts.tenant ? await tenantIdOf(ctx, opts.tenant) : null;
        const views: FailedJobView[] = [];
        for await (const job of failedJobs(queue)) {
          if (tenantId && job.data?.tenantId !== tenantId) continue;
          views.push(await describeJob(ctx, job));
        }
        const lines = views.map(
          (v) =>
            `${v.id}  tenant=${v.tenantId} request=${v.requestId} attempts=${v.attempts} failed=${v.failedAt}\n    ${v.recordedError ?? v.reason}`,
        );
        ctx.print(
          views.length === 0 ? 'No failed jobs.' : `${views.length} failed job(s):\n${lines.join('\n')}`,
          { failed: views },
        );
      });
    });

  jobs
    .command('retry')
    .description('move one failed job back to the queue with fresh attempts')
    .argument('<id>', 'job id, as listed by `jobs failed`')
    .action(async (id: string, _opts: unknown, command: Command) => {
      await withQueue(command, async (ctx, queue) => {
        const job = await queue.getJob(id);
        if (!job) throw new AdminError(`No job with id "${id}"`);
        const state = await job.getState();
        if (state !== 'failed') throw new AdminError(`Job "${id}" is not in the failed set (it is ${state})`);
        await retry(job);
        ctx.print(`Job ${id} queued again.`, { retried: [id] });
      });
    });

  jobs
    .command('retry-all')
    .description(
      "queue every failed event of one tenant again (from its failed enhancements: other tenants' failures never evict them)",
    )
    .requiredOption('--tenant <slug>', 'the tenant whose failed events to retry')
    .action(async (opts: { tenant: string }, command: Command) => {
      await withQueue(command, async (ctx, queue) => {
        const tenantId = await tenantIdOf(ctx, opts.tenant);
        const retried: string[] = [];
        for await (const failed of failedEnhancements(ctx, tenantId)) {
          const jobId = await requeueFailed(queue, tenantId, failed);
          if (jobId) retried.push(jobId);
        }
        ctx.print(`${retried.length} failed event(s) of ${opts.tenant} queued again.`, { retried });
      });
    });
}
