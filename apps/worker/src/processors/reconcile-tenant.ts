import {
  advanceReconcileCursor,
  type Db,
  loadReconcileCursor,
  loadTenant,
  RECONCILE_OVERLAP_MS,
  requestsWithoutEnhancement,
  type TenantRow,
} from '@ai-agents/db';
import {
  type SdpRequest,
  type ServiceDeskClient,
  ServiceDeskError,
  type TenantClients,
} from '@ai-agents/servicedesk';
import { type Logger, reconcileTenantSchema, safeErrorMessage } from '@ai-agents/shared';
import { type Job, UnrecoverableError } from 'bullmq';
import type { WorkerMetrics } from '../metrics.js';
import type { SdpRateLimit } from '../pipeline/sdp-rate-limit.js';
import { queueMissedRequests, type SweepQueue } from '../reconcile/queue-missed.js';

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

// SDP's largest page. A scheduled sweep reads at most 10 pages (1,000 requests, created since the
// last sweep two minutes ago: far beyond any portal's pace) and resumes from its cursor next tick;
// an operator's `--since` sweep reads up to 100 pages (10,000 requests) in one go.
const PAGE_SIZE = 100;
const SCHEDULED_MAX_PAGES = 10;
const OPERATOR_MAX_PAGES = 100;

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
}

/**
 * One tenant's reconcile sweep: list the requests created since its cursor (minus the overlap, never
 * before the tenant was added) or since the operator's `--since`, page by page, oldest first; queue
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
  };
}

/** Reads the sweep's pages; true when it reached the end of the list, false when it stopped early. */
async function readAllPages(deps: ReconcileDeps, sweep: Sweep, target: SweepQueue): Promise<boolean> {
  const maxPages = sweep.operator ? OPERATOR_MAX_PAGES : SCHEDULED_MAX_PAGES;
  while (sweep.pages < maxPages) {
    if (!(await mayCallSdp(deps, sweep))) return false;
    const page = await sweep.sdp.listCreatedRequests({
      since: sweep.since,
      startIndex: 1 + sweep.pages * PAGE_SIZE,
      rowCount: PAGE_SIZE,
    });
    sweep.pages++;
    await handlePage(deps, sweep, target, page.requests);
    if (!page.hasMore || page.requests.length === 0) return true;
  }
  sweep.log.warn({ pages: sweep.pages }, 'sweep stopped at its page bound; the next one goes on');
  return false;
}

/**
 * One page: queue what no enhancement covers, then move the cursor to the page's last created_time,
 * but never past our own clock: a portal whose clock runs ahead would otherwise push the cursor
 * beyond the overlap, and the next requests, stamped by a corrected clock, would never be listed.
 */
async function handlePage(deps: ReconcileDeps, sweep: Sweep, target: SweepQueue, requests: SdpRequest[]) {
  sweep.listed += requests.length;
  const ids = requests.map((r) => r.id);
  const unseen = await requestsWithoutEnhancement({ db: deps.db, tenantId: sweep.tenant.id }, ids);
  sweep.queued += await queueMissedRequests(target, sweep.tenant.id, unseen);
  const last = lastCreated(requests);
  if (last === undefined) return;
  const to = new Date(Math.min(last.getTime(), Date.now()));
  await advanceReconcileCursor({ db: deps.db, tenantId: sweep.tenant.id }, to);
}

/** The latest created_time on the page (SDP's epoch ms), or undefined when none carries one. */
function lastCreated(requests: SdpRequest[]): Date | undefined {
  let latest: number | undefined;
  for (const r of requests) {
    const ms = Number(r.created_time?.value);
    if (Number.isSafeInteger(ms) && ms > 0 && (latest === undefined || ms > latest)) latest = ms;
  }
  return latest === undefined ? undefined : new Date(latest);
}

/**
 * Takes one call from the tenant's ServiceDesk Plus budget. Over budget, a scheduled sweep stops (the
 * next tick goes on from the cursor); an operator's sweep waits for the budget, as long as it takes.
 */
async function mayCallSdp(deps: ReconcileDeps, sweep: Sweep): Promise<boolean> {
  if (!deps.sdpRateLimit) return true;
  for (;;) {
    const waitMs = await deps.sdpRateLimit.reserve(sweep.tenant.id, 1);
    if (waitMs <= 0) return true;
    if (!sweep.operator) {
      sweep.log.info({ waitMs }, 'tenant ServiceDesk Plus budget used up; the sweep goes on next tick');
      return false;
    }
    await new Promise((resolve) => setTimeout(resolve, waitMs));
  }
}
