import { type Logger, tenantBacklogKey } from '@ai-agents/shared';
import type { RedisClient } from '@ai-agents/shared/redis';
import type { Job } from 'bullmq';

/**
 * Takes a finished job (completed, or failed for good) out of its tenant's backlog, which the API
 * bounds (see tenant-backlog.ts in @ai-agents/shared). A job retried later is still in the backlog:
 * only a final outcome releases it. Should this be lost (the process dies first), the id expires from
 * the count on its own.
 */
export function createBacklogRelease(options: {
  redis: RedisClient;
  prefix: string;
  queueName: string;
  logger: Logger;
}) {
  return (job: Job): void => {
    const tenantId = (job.data as { tenantId?: unknown } | undefined)?.tenantId;
    if (typeof tenantId !== 'string' || !job.id) return;
    options.redis
      .zrem(tenantBacklogKey(options.prefix, options.queueName, tenantId), job.id)
      .catch((error: unknown) =>
        options.logger.warn({ err: error, jobId: job.id }, 'could not release the job from its backlog'),
      );
  };
}
