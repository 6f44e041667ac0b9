import {
  BACKLOG_STALE_MS,
  type EventJob,
  type QueuedJobSpec,
  sweptCreationJob,
  tenantBacklogKey,
} from '@ai-agents/shared';
import type { RedisClient } from '@ai-agents/shared/redis';
import type { Queue } from 'bullmq';

/** Where the sweep puts its jobs: the events queue, and the Redis it lives on. */
export interface SweepQueue {
  queue: Queue;
  redis: RedisClient;
}

/**
 * Queues the request.created investigation of each request that has no enhancement yet, and returns
 * how many no webhook had brought: those whose creation job neither exists nor was delivered (BullMQ
 * keeps a delivered job's deduplication key a day, after the job itself is removed). A request a
 * webhook has already queued is not queued again (same job id), nor counted. Each new job is counted
 * in its tenant's backlog before it is stored, as the API does (tenant-backlog.ts), so the worker's
 * release of the finished job pairs up.
 */
export async function queueMissedRequests(
  target: SweepQueue,
  tenantId: string,
  requestIds: string[],
): Promise<number> {
  if (requestIds.length === 0) return 0;
  const now = Date.now();
  const specs = requestIds.map((id) => sweptCreationJob(tenantId, id, now));
  const delivered = await alreadyDelivered(target, specs);
  const missed = specs.filter((_, i) => !delivered[i]);
  if (missed.length === 0) return 0;
  const { queue, redis } = target;
  const backlogKey = tenantBacklogKey(prefixOf(queue), queue.name, tenantId);
  const counting = redis.multi();
  for (const spec of missed) counting.zadd(backlogKey, 'NX', now, spec.opts.jobId);
  counting.pexpire(backlogKey, BACKLOG_STALE_MS);
  await counting.exec();
  await queue.addBulk(missed.map((spec) => ({ name: spec.name, data: spec.data, opts: spec.opts })));
  return missed.length;
}

function prefixOf(queue: Queue): string {
  return queue.opts.prefix ?? 'bull';
}

/** For each job: whether its id is in the queue, or its deduplication key says it was delivered. */
async function alreadyDelivered(target: SweepQueue, specs: QueuedJobSpec<EventJob>[]): Promise<boolean[]> {
  const base = `${prefixOf(target.queue)}:${target.queue.name}`;
  const checks = target.redis.pipeline();
  for (const spec of specs) checks.exists(`${base}:${spec.opts.jobId}`, `${base}:de:${spec.opts.jobId}`);
  const answers = (await checks.exec()) ?? [];
  return specs.map((_, i) => {
    const [error, count] = answers[i] ?? [new Error('no answer'), 0];
    if (error) throw error;
    return Number(count) > 0;
  });
}
