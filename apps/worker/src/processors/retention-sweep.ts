import {
  applyTenantRetention,
  type Db,
  effectiveRetention,
  listTenants,
  loadRetentionOverrides,
  type RemovedRows,
  type RetentionPolicy,
  type RetentionTable,
} from '@ai-agents/db';
import { type Logger, retentionSweepSchema } from '@ai-agents/shared';
import { type Job, UnrecoverableError } from 'bullmq';
import type { WorkerMetrics } from '../metrics.js';

export interface RetentionDeps {
  db: Db;
  logger: Logger;
  metrics?: WorkerMetrics;
  /** The installation's defaults (RETENTION_*) and the rows per statement. None: the job refuses. */
  retention?: RetentionSettings;
}

export interface RetentionSettings {
  defaults: RetentionPolicy;
  /** Rows one statement removes; default RETENTION_BATCH_SIZE. */
  batchSize?: number;
}

/**
 * 1,000 rows per statement: the batch of the CSV history import (apps/api/src/history/csv-history.ts),
 * whose insert trigger does the same index work in the other direction (a ticket's postings and the
 * tenant's term statistics), so a batch stays within the role's 30 s statement timeout wherever an
 * import does, and the tenant's index lock (ticket_index_lock) is never held longer than an import
 * holds it. Each batch commits on its own.
 */
export const RETENTION_BATCH_SIZE = 1_000;

export type RetentionSweepResult = { outcome: 'retention'; tenants: number; removed: RemovedRows };

/**
 * The daily retention job: for every tenant (disabled ones too: their data ages like any other), the
 * policy in force (its own settings over the installation's), applied in bounded batches under the
 * tenant's row-level security (applyTenantRetention). Each removed row counts on
 * retention_rows_removed_total by table as its batch commits, so a run that fails part-way still
 * reports what it did; the next day's run goes on from there.
 */
export async function processRetentionSweep(job: Job, deps: RetentionDeps): Promise<RetentionSweepResult> {
  if (!retentionSweepSchema.safeParse(job.data ?? {}).success)
    throw new UnrecoverableError('Invalid retention job payload');
  if (!deps.retention) throw new UnrecoverableError('This worker has no retention settings');
  // When it runs, not when the scheduler made it (the next day's job is made a day ahead).
  const now = new Date();
  const batchSize = deps.retention.batchSize ?? RETENTION_BATCH_SIZE;
  const removed: RemovedRows = {};
  const tenants = await listTenants(deps.db);
  for (const tenant of tenants) {
    const scope = { db: deps.db, tenantId: tenant.id };
    const overrides = await loadRetentionOverrides(scope);
    if (!overrides) continue;
    const policy = effectiveRetention(deps.retention.defaults, overrides);
    await applyTenantRetention(scope, policy, {
      now,
      batchSize,
      onBatch: (batch) => {
        for (const [table, n] of Object.entries(batch) as [RetentionTable, number][]) {
          removed[table] = (removed[table] ?? 0) + n;
          if (n > 0) deps.metrics?.observeRetentionRemoved(table, n);
        }
      },
    });
  }
  deps.logger.info({ tenants: tenants.length, removed }, 'retention applied');
  return { outcome: 'retention', tenants: tenants.length, removed };
}
