import { RECONCILE_SCHEDULER_ID, RECONCILE_TICK_TEMPLATE } from '@ai-agents/shared';
import type { Queue } from 'bullmq';

/**
 * Installs (or, at interval 0, removes) the BullMQ job scheduler that makes a reconcile tick every
 * `intervalSeconds`. The scheduler lives in Redis under a fixed id, so every worker pod upserting it
 * at start leaves one scheduler and one tick per interval, however many pods run (BullMQ "Job
 * Schedulers": upsertJobScheduler creates or updates the one scheduler of that id; docs.bullmq.io
 * guide/job-schedulers). Pods started with different intervals: the last to start wins.
 */
export async function scheduleReconcile(queue: Queue, intervalSeconds: number): Promise<'scheduled' | 'off'> {
  if (intervalSeconds <= 0) {
    await queue.removeJobScheduler(RECONCILE_SCHEDULER_ID);
    return 'off';
  }
  await queue.upsertJobScheduler(
    RECONCILE_SCHEDULER_ID,
    { every: intervalSeconds * 1000 },
    { name: RECONCILE_TICK_TEMPLATE.name, data: {}, opts: { ...RECONCILE_TICK_TEMPLATE.opts } },
  );
  return 'scheduled';
}
