import {
  type Db,
  loadReconcileCursor,
  loadTenant,
  RECONCILE_OVERLAP_MS,
  type TenantRow,
} from '@ai-agents/db';
import {
  isMspEdition,
  type ServiceDeskClient,
  ServiceDeskError,
  type TenantClients,
} from '@ai-agents/servicedesk';
import { type Logger, reconcileTenantSchema, safeErrorMessage } from '@ai-agents/shared';
import { type Job, UnrecoverableError } from 'bullmq';
import type { WorkerMetrics } from '../metrics.js';
import type { SdpRateLimit } from '../pipeline/sdp-rate-limit.js';
import type { SweepQueue } from '../reconcile/queue-missed.js';
import {
  mayCallSdp,
  OPERATOR_MAX_PAGES,
  PAGE_SIZE,
  SCHEDULED_MAX_PAGES,
  sweepTenantPage,
} from '../reconcile/sweep-pages.js';

export interface ReconcileDeps {
  db: Db;
  sdp: TenantClients;
  logger: Logger;
  /** The events queue; without it (processor tests of other kinds) sweeps cannot run. */
  sweepQueue?: SweepQueue;
  sdpRateLimit?: SdpRateLimit;
  metrics?: WorkerMetrics;
}

export type ReconcileTenantResult =
  | { outcome: 'swept'; listed: number; queued: number; pages: number; complete: boolean }
  /** The portal refused or did not answer: the sweep stopped, and the next tick goes on from the cursor. */
  | { outcome: 'portal_error'; kind: string; listed: number; queued: number }
  | { outcome: 'skipped'; reason: string };

/** One sweep's state as it reads the portal. */
interface Sweep {
  tenant: TenantRow;
  sdp: ServiceDeskClient;
  since: Date;
  operator: boolean;
  log: Logger;
  listed: number;
  queued: number;
  pages: number;
  /** MSP: the tenant's account, which narrows the list (list_info.account_id). */
  accountId: string | undefined;
}

/**
 * One tenant's reconcile sweep: list the requests created since its cursor (minus the overlap, never
 * before the tenant was added) or since the operator's `--since`, page by page, oldest first (on an
 * MSP connection, only its account's: `list_info.account_id`; the scheduled sweep of an MSP
 * connection is reconcile-connection.ts, one list for all its accounts); queue
 * the request.created investigation of each that has no enhancement yet; move the cursor to the last
 * created_time read. Each list call takes one call from the tenant's ServiceDesk Plus budget; a
 * scheduled sweep over budget stops where it is and the next tick goes on from the cursor.
 */
export async function processReconcileTenant(job: Job, deps: ReconcileDeps): Promise<ReconcileTenantResult> {
  const parsed = reconcileTenantSchema.safeParse(job.data);
  if (!parsed.success) throw new UnrecoverableError('Invalid reconcile job payload');
  const target = deps.sweepQueue;
  if (!target) throw new UnrecoverableError('This worker has no queue to sweep into');
  const sweep = await openSweep(deps, job, parsed.data.tenantId, parsed.data.since);
  if ('outcome' in sweep) return sweep;
  try {
    const complete = await readAllPages(deps, sweep, target);
    const { listed, queued, pages } = sweep;
    // An idle tenant's sweep every interval is routine: logged at debug, unless it found something.
    const level = queued > 0 || !complete ? 'info' : 'debug';
    sweep.log[level]({ listed, queued, pages, complete }, 'tenant swept');
    return { outcome: 'swept', listed, queued, pages, complete };
  } catch (error) {
    // The next tick is the retry: a portal that is down or refuses the key fails no job (a failed sweep
    // every interval would fill the failed set and page as dead-letter growth); it is logged instead,
    // and `tenant check` names the problem. Postgres and Redis failures are thrown, as for any job.
    if (!(error instanceof ServiceDeskError)) throw error;
    sweep.log.warn(
      { kind: error.kind, httpStatus: error.httpStatus },
      `sweep stopped: ${safeErrorMessage(error)}`,
    );
    return { outcome: 'portal_error', kind: error.kind, listed: sweep.listed, queued: sweep.queued };
  } finally {
    if (sweep.queued > 0) deps.metrics?.observeReconcileMissed(sweep.tenant.slug, sweep.queued);
  }
}

/** The sweep's starting point, or why there is none (the tenant is gone or disabled). */
async function openSweep(
  deps: ReconcileDeps,
  job: Job,
  tenantId: string,
  since: number | undefined,
): Promise<Sweep | Extract<ReconcileTenantResult, { outcome: 'skipped' }>> {
  const scope = { db: deps.db, tenantId };
  const [tenant, cursor] = await Promise.all([loadTenant(scope), loadReconcileCursor(scope)]);
  if (!tenant || !cursor) return { outcome: 'skipped', reason: 'tenant no longer exists' };
  if (tenant.status !== 'active') return { outcome: 'skipped', reason: 'tenant is disabled' };
  const scheduledSince = Math.max(cursor.sweptTo.getTime() - RECONCILE_OVERLAP_MS, cursor.addedAt.getTime());
  return {
    tenant,
    sdp: deps.sdp.forTenant(tenant),
    since: new Date(since ?? scheduledSince),
    operator: since !== undefined,
    log: deps.logger.child({ jobId: job.id, tenantId }),
    listed: 0,
    queued: 0,
    pages: 0,
    accountId: isMspEdition(tenant.connection.edition) ? (tenant.sdpAccountId ?? undefined) : undefined,
  };
}

/** Reads the sweep's pages; true when it reached the end of the list, false when it stopped early. */
async function readAllPages(deps: ReconcileDeps, sweep: Sweep, target: SweepQueue): Promise<boolean> {
  const maxPages = sweep.operator ? OPERATOR_MAX_PAGES : SCHEDULED_MAX_PAGES;
  while (sweep.pages < maxPages) {
    if (!(await mayCallSdp(deps.sdpRateLimit, sweep.tenant.id, sweep))) return false;
    const page = await sweep.sdp.listCreatedRequests({
      since: sweep.since,
      startIndex: 1 + sweep.pages * PAGE_SIZE,
      rowCount: PAGE_SIZE,
      accountId: sweep.accountId,
    });
    sweep.pages++;
    sweep.listed += page.requests.length;
    sweep.queued += await sweepTenantPage(deps, target, sweep.tenant.id, page.requests);
    if (!page.hasMore || page.requests.length === 0) return true;
  }
  sweep.log.warn({ pages: sweep.pages }, 'sweep stopped at its page bound; the next one goes on');
  return false;
}
