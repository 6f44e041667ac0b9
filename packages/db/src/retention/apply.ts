import type { TenantScope } from '../with-tenant.js';
import { daysBefore, monthsBefore, type RetentionPolicy } from './policy.js';
import {
  clearOldFeedbackComments,
  type RemovedRows,
  type RetentionTable,
  removeOldAudit,
  removeOldEnhancements,
  removeOldHistory,
  removeOldModelIo,
} from './remove.js';

export interface RetentionRun {
  /** The moment ages are measured from (the job's start). */
  now: Date;
  /** Rows per statement: each batch is its own short transaction, so no lock is held for long. */
  batchSize: number;
  /** Called after each batch with what it removed (the worker counts it on its metric). */
  onBatch?: (removed: RemovedRows) => void;
}

interface Rule {
  /** The setting's cutoff, or null when the setting keeps for ever (0). */
  before(policy: RetentionPolicy, now: Date): Date | null;
  batch(scope: TenantScope, before: Date, limit: number): Promise<RemovedRows>;
  /** The count that tells whether a batch was full (more may be left). */
  primary: RetentionTable;
}

/** A cutoff `setting` days before now, or null (keep) when the setting is 0. */
function days(setting: (p: RetentionPolicy) => number): Rule['before'] {
  return (p, now) => (setting(p) > 0 ? daysBefore(now, setting(p)) : null);
}

const RULES: readonly Rule[] = [
  {
    before: (p, now) => (p.historyMonths > 0 ? monthsBefore(now, p.historyMonths) : null),
    batch: removeOldHistory,
    primary: 'ticket_history',
  },
  {
    before: days((p) => p.enhancementDays),
    batch: removeOldEnhancements,
    primary: 'enhancements',
  },
  {
    before: days((p) => p.auditDays),
    batch: removeOldAudit,
    primary: 'audit_log',
  },
  {
    before: days((p) => p.feedbackCommentDays),
    batch: clearOldFeedbackComments,
    primary: 'feedback_comments',
  },
  {
    // Not an installation default but the tenant's own `tenant llm --keep-llm-io <days>`, which the
    // statement reads: every run passes `now`, and 0 (off) removes whatever is left.
    before: (_p, now) => now,
    batch: removeOldModelIo,
    primary: 'llm_exchanges',
  },
];

/**
 * Applies one tenant's retention policy: for each setting that is not "keep", batch after batch
 * (each one statement under the tenant's row-level security) until a batch comes back short, so a
 * tenant with more old rows than a batch is finished in the same run. Returns the totals.
 */
export async function applyTenantRetention(
  scope: TenantScope,
  policy: RetentionPolicy,
  run: RetentionRun,
): Promise<RemovedRows> {
  const totals: RemovedRows = {};
  for (const rule of RULES) {
    const before = rule.before(policy, run.now);
    if (!before) continue;
    for (;;) {
      const removed = await rule.batch(scope, before, run.batchSize);
      addInto(totals, removed);
      run.onBatch?.(removed);
      if ((removed[rule.primary] ?? 0) < run.batchSize) break;
    }
  }
  return totals;
}

function addInto(totals: RemovedRows, removed: RemovedRows): void {
  for (const [table, n] of Object.entries(removed) as [RetentionTable, number][])
    totals[table] = (totals[table] ?? 0) + n;
}
