import { RETENTION_JOB_TEMPLATE, RETENTION_SCHEDULER_ID } from '@ai-agents/shared';
import type { Queue } from 'bullmq';

/**
 * Installs the BullMQ job scheduler that makes the retention job every RETENTION_INTERVAL_HOURS (a day). Like the reconcile
 * sweep's (reconcile/scheduler.ts), it lives in Redis under a fixed id, so every worker pod upserting
 * it at start leaves one scheduler and one job a day, however many pods run (BullMQ "Job Schedulers":
 * upsertJobScheduler creates or updates the one scheduler of that id; docs.bullmq.io
 * guide/job-schedulers). Always installed, even when every installation default keeps for ever: a
 * tenant's own setting (`tenant retention`) may not, and a run with nothing to do is one query per tenant.
 */
export async function scheduleRetention(queue: Queue, intervalHours: number): Promise<void> {
  // RETENTION_INTERVAL_HOURS=0: no retention job (the test sandbox, or an operator who runs none).
  if (intervalHours === 0) {
    await queue.removeJobScheduler(RETENTION_SCHEDULER_ID);
    return;
  }
  await queue.upsertJobScheduler(
    RETENTION_SCHEDULER_ID,
    { every: intervalHours * 3600_000 },
    { name: RETENTION_JOB_TEMPLATE.name, data: {}, opts: { ...RETENTION_JOB_TEMPLATE.opts } },
  );
}
