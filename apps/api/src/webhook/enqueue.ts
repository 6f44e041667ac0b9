import { ENHANCE_JOB, type EnhanceJob, jobNameForEvent } from '@ai-agents/shared';
import type { Queue } from 'bullmq';
import type { Cluster, Redis } from 'ioredis';

// How long a delivered event id is remembered after its job is gone from the queue. ServiceDesk Plus
// and Deluge retries arrive within minutes; a week covers manual re-sends too.
const DEDUPE_TTL_SECONDS = 7 * 24 * 3600;

export interface EnqueueResult {
  jobId: string;
  duplicate: boolean;
}

/*
 * A job is stored for an event exactly once. The order matters for "never lose, never duplicate":
 *   1. a remembered event id (seenKey) → duplicate, nothing added;
 *   2. add the job under a deterministic id (BullMQ ignores an add whose id still exists);
 *   3. remember the event id. If Redis fails between 2 and 3, the caller answers 503, the sender
 *      retries, step 2 is a no-op against the stored job, and step 3 completes.
 * Step 1 only reads, so the route makes it in its rate-limit script (takeTokensAndCheck);
 * 2 and 3 stay strictly in sequence. Any Redis failure rejects, and the route answers 503: no 202
 * for a job that was not stored.
 */

/** Where step 1 looks and step 3 writes: the key that remembers an event's job id. */
export function seenKey(queue: Queue, jobId: string): string {
  return `${queue.opts.prefix ?? 'bull'}:${queue.name}:seen:${jobId}`;
}

/** Steps 2 and 3, for an event that step 1 did not find. */
export async function storeEnhancement(
  queue: Queue,
  redis: Redis | Cluster,
  job: EnhanceJob,
  jobId: string,
): Promise<EnqueueResult> {
  await queue.add(jobNameForEvent(job.event, ENHANCE_JOB), job, { jobId });
  const first = await redis.set(
    seenKey(queue, jobId),
    String(job.receivedAt),
    'EX',
    DEDUPE_TTL_SECONDS,
    'NX',
  );
  return { jobId, duplicate: first === null };
}
