import { type Db, listTenants } from '@ai-agents/db';
import { type Logger, tenantSweepJob } from '@ai-agents/shared';
import { type Job, UnrecoverableError } from 'bullmq';
import type { SweepQueue } from '../reconcile/queue-missed.js';

export interface ReconcileTickDeps {
  db: Db;
  logger: Logger;
  sweepQueue?: SweepQueue;
}

export type ReconcileTickResult = { outcome: 'fanned_out'; tenants: number };

/**
 * A tick of the reconcile scheduler: one sweep job per active tenant, in one Redis round trip. Each
 * tenant's scheduled sweep is deduplicated until it finishes (tenantSweepJob), so a tenant whose last
 * sweep is still waiting or running gets no second one, however many ticks or workers there are.
 */
export async function processReconcileTick(job: Job, deps: ReconcileTickDeps): Promise<ReconcileTickResult> {
  if (!deps.sweepQueue) throw new UnrecoverableError('This worker has no queue to sweep into');
  const active = (await listTenants(deps.db)).filter((t) => t.status === 'active');
  const at = job.timestamp || Date.now();
  await deps.sweepQueue.queue.addBulk(
    active.map((t) => {
      const spec = tenantSweepJob({ tenantId: t.id }, at);
      return { name: spec.name, data: spec.data, opts: spec.opts };
    }),
  );
  deps.logger.debug({ tenants: active.length }, 'reconcile tick fanned out');
  return { outcome: 'fanned_out', tenants: active.length };
}
