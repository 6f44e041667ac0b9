import { type Db, isMspEdition, listTenants, type TenantSummary } from '@ai-agents/db';
import { connectionSweepJob, type Logger, type QueuedJobSpec, tenantSweepJob } from '@ai-agents/shared';
import { type Job, UnrecoverableError } from 'bullmq';
import type { SweepQueue } from '../reconcile/queue-missed.js';

export interface ReconcileTickDeps {
  db: Db;
  logger: Logger;
  sweepQueue?: SweepQueue;
}

export type ReconcileTickResult = { outcome: 'fanned_out'; tenants: number; connections: number };

/**
 * A tick of the reconcile scheduler, in one Redis round trip: one sweep job per active tenant of a
 * single portal, and one per MSP connection with an active tenant (its accounts share one list,
 * reconcile-connection.ts). Each scheduled sweep is deduplicated until it finishes (tenantSweepJob,
 * connectionSweepJob), so a sweep still waiting or running gets no second one, however many ticks or
 * workers there are.
 */
export async function processReconcileTick(job: Job, deps: ReconcileTickDeps): Promise<ReconcileTickResult> {
  if (!deps.sweepQueue) throw new UnrecoverableError('This worker has no queue to sweep into');
  const { tenants, connections } = sweepsOf(await listTenants(deps.db));
  const at = job.timestamp || Date.now();
  const specs: QueuedJobSpec<unknown>[] = [
    ...tenants.map((tenantId) => tenantSweepJob({ tenantId }, at)),
    ...connections.map((connectionId) => connectionSweepJob({ connectionId }, at)),
  ];
  await deps.sweepQueue.queue.addBulk(
    specs.map((spec) => ({ name: spec.name, data: spec.data, opts: spec.opts })),
  );
  deps.logger.debug(
    { tenants: tenants.length, connections: connections.length },
    'reconcile tick fanned out',
  );
  return { outcome: 'fanned_out', tenants: tenants.length, connections: connections.length };
}

/** The active single-portal tenants, and the MSP connections with at least one active tenant. */
function sweepsOf(all: TenantSummary[]): { tenants: string[]; connections: string[] } {
  const active = all.filter((t) => t.status === 'active');
  const connections = new Set(active.filter((t) => isMspEdition(t.edition)).map((t) => t.connectionId));
  return {
    tenants: active.filter((t) => !isMspEdition(t.edition)).map((t) => t.id),
    connections: [...connections],
  };
}
