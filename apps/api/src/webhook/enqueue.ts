import { ENHANCE_JOB, type EnhanceJob, enhanceJobId, jobNameForEvent } from '@ai-agents/shared';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';

// How long a delivered event id is remembered after its job is gone from the queue. ServiceDesk Plus
// and Deluge retries arrive within minutes; a week covers manual re-sends too.
const DEDUPE_TTL_SECONDS = 7 * 24 * 3600;

export interface EnqueueResult {
  jobId: string;
  duplicate: boolean;
}

/**
 * Stores the job for an event exactly once. The order matters for "never lose, never duplicate":
 *   1. a remembered event id → duplicate, nothing added;
 *   2. add the job under a deterministic id (BullMQ ignores an add whose id still exists);
 *   3. remember the event id. If Redis fails between 2 and 3, the caller answers 503, the sender
 *      retries, step 2 is a no-op against the stored job, and step 3 completes.
 * Any Redis failure rejects, and the route answers 503: no 202 for a job that was not stored.
 */
export async function enqueueEnhancement(
  queue: Queue,
  redis: Redis,
  job: EnhanceJob,
): Promise<EnqueueResult> {
  const jobId = enhanceJobId(job.tenantId, job.eventId);
  const seenKey = `${queue.opts.prefix ?? 'bull'}:${queue.name}:seen:${jobId}`;
  if ((await redis.exists(seenKey)) === 1) return { jobId, duplicate: true };
  await queue.add(jobNameForEvent(job.event, ENHANCE_JOB), job, { jobId });
  const first = await redis.set(seenKey, String(job.receivedAt), 'EX', DEDUPE_TTL_SECONDS, 'NX');
  return { jobId, duplicate: first === null };
}
