import { BACKLOG_STALE_MS, ENHANCE_JOB, type EnhanceJob, jobNameForEvent } from '@ai-agents/shared';
import type { Queue } from 'bullmq';
import type { Cluster, Redis } from 'ioredis';

// How long a delivered event id is remembered after its job is gone from the queue. ServiceDesk Plus
// and Deluge retries arrive within minutes. A day, not longer: every accepted event leaves one such key
// (~170 bytes), so a tenant at its rate limit holds rate × TTL of them (150/min for a day: 37 MB, for a
// week it was 257 MB of a 400 MB Redis). A later re-send is still caught by the enhancements table,
// which is unique per (tenant, event id): it costs one job, never a second note.
const DEDUPE_TTL_SECONDS = 24 * 3600;

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
  backlogKey: string,
): Promise<EnqueueResult> {
  await queue.add(jobNameForEvent(job.event, ENHANCE_JOB), job, { jobId });
  // Step 3 also counts the job in its tenant's backlog (a set: a retried step 3 counts it once).
  const results = await redis
    .multi()
    .set(seenKey(queue, jobId), String(job.receivedAt), 'EX', DEDUPE_TTL_SECONDS, 'NX')
    .zadd(backlogKey, job.receivedAt, jobId)
    .pexpire(backlogKey, BACKLOG_STALE_MS)
    .exec();
  const failed = results?.find(([error]) => error);
  if (!results || failed) throw failed?.[0] ?? new Error('Redis transaction aborted');
  return { jobId, duplicate: results[0]?.[1] === null };
}
