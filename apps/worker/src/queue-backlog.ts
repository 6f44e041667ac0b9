import type { Queue } from 'bullmq';

export interface QueueBacklog {
  /** Jobs waiting to run now (not counting delayed retries). */
  waiting: number;
  /** Jobs scheduled for a later retry or held back by a rate limit. */
  delayed: number;
  active: number;
  failed: number;
  /** Age of the oldest job waiting to run, in seconds; 0 when nothing waits. */
  oldestWaitingAgeSeconds: number;
}

/**
 * How far behind the workers are, for a metrics exporter or an alert: a growing oldest-waiting age
 * means jobs arrive faster than they are done. Reads counts and the one oldest waiting job only.
 */
export async function queueBacklog(queue: Queue, now = Date.now()): Promise<QueueBacklog> {
  const counts = await queue.getJobCounts('waiting', 'delayed', 'active', 'failed', 'prioritized');
  // asc: the first job of each list is its oldest; take the older of the two lists' heads.
  const heads = await queue.getJobs(['waiting', 'prioritized'], 0, 0, true);
  const oldest = heads.reduce<number | null>(
    (min, job) => (job && (min === null || job.timestamp < min) ? job.timestamp : min),
    null,
  );
  return {
    waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0),
    delayed: counts.delayed ?? 0,
    active: counts.active ?? 0,
    failed: counts.failed ?? 0,
    oldestWaitingAgeSeconds: oldest === null ? 0 : Math.max(0, (now - oldest) / 1000),
  };
}
