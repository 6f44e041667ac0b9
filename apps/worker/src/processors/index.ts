import type { JobKind } from '@ai-agents/shared';
import type { Job } from 'bullmq';
import type { JobOutcome } from '../metrics.js';
import { type EnhanceDeps, type EnhanceResult, processEnhanceTicket } from './enhance-ticket.js';
import { type IngestHistoryResult, processIngestHistory } from './ingest-history.js';
import { processReconcileConnection, type ReconcileConnectionResult } from './reconcile-connection.js';
import { processReconcileTenant, type ReconcileTenantResult } from './reconcile-tenant.js';
import { processReconcileTick, type ReconcileTickResult } from './reconcile-tick.js';
import { processRetentionSweep, type RetentionSweepResult } from './retention-sweep.js';

/** What each job kind's processor returns (BullMQ stores it as the job's return value). */
export interface JobResults {
  'enhance-ticket': EnhanceResult;
  'ingest-history': IngestHistoryResult;
  'reconcile-tick': ReconcileTickResult;
  'reconcile-tenant': ReconcileTenantResult;
  'reconcile-connection': ReconcileConnectionResult;
  'retention-sweep': RetentionSweepResult;
}

export interface ProcessorEntry<K extends JobKind> {
  run(job: Job, token?: string): Promise<JobResults[K]>;
  /** The attempt's outcome on enhance_jobs_total. */
  outcome(result: JobResults[K]): JobOutcome;
}

/**
 * One processor per job kind of the registry (JOB_KINDS in @ai-agents/shared): a kind added there
 * without a processor here, or a processor for a kind that does not exist, does not compile.
 */
export type Processors = { [K in JobKind]: ProcessorEntry<K> };

export function createProcessors(deps: EnhanceDeps): Processors {
  return {
    'enhance-ticket': {
      run: (job) => processEnhanceTicket(job, deps),
      outcome: enhanceOutcome,
    },
    'ingest-history': {
      run: (job) => processIngestHistory(job, deps),
      outcome: historyOutcome,
    },
    'reconcile-tick': { run: (job) => processReconcileTick(job, deps), outcome: reconcileOutcome },
    'reconcile-tenant': { run: (job) => processReconcileTenant(job, deps), outcome: reconcileOutcome },
    'reconcile-connection': {
      run: (job) => processReconcileConnection(job, deps),
      outcome: reconcileOutcome,
    },
    'retention-sweep': { run: (job) => processRetentionSweep(job, deps), outcome: () => 'retention' },
  };
}

export function enhanceOutcome(result: EnhanceResult): JobOutcome {
  if (result.outcome === 'posted') return result.fallback ? 'fallback' : 'posted';
  if (result.outcome === 'account_mismatch') return 'account_mismatch';
  if (result.outcome === 'skipped_by_rule') return 'skipped';
  // A skipped event (another one handles its ticket) posted nothing either.
  return 'already_posted';
}

export function historyOutcome(result: IngestHistoryResult): JobOutcome {
  return result.outcome === 'account_mismatch' ? 'account_mismatch' : 'history';
}

export function reconcileOutcome(
  _result: ReconcileTickResult | ReconcileTenantResult | ReconcileConnectionResult,
): JobOutcome {
  return 'reconcile';
}

export function isJobKind(name: string, processors: Processors): name is JobKind {
  return Object.hasOwn(processors, name);
}
