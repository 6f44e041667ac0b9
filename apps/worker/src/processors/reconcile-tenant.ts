import {
  advanceReconcileCursor,
  type Db,
  loadReconcileCursor,
  loadTenant,
  RECONCILE_OVERLAP_MS,
  requestsWithoutEnhancement,
  type TenantRow,
} from '@ai-agents/db';
import type { SdpRequest, ServiceDeskClient, TenantClients } from '@ai-agents/servicedesk';
import { type Logger, reconcileTenantSchema } from '@ai-agents/shared';
import { type Job, UnrecoverableError } from 'bullmq';
import type { WorkerMetrics } from '../metrics.js';
import type { SdpRateLimit } from '../pipeline/sdp-rate-limit.js';
import { queueMissedRequests, type SweepQueue } from '../reconcile/queue-missed.js';
import { withFinalSdpRefusals } from './job-errors.js';

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
  const { tenantId, since } = parsed.data;
  if (!deps.sweepQueue) throw new UnrecoverableError('This worker has no queue to sweep into');
  const scope = { db: deps.db, tenantId };
  const [tenant, cursor] = await Promise.all([loadTenant(scope), loadReconcileCursor(scope)]);
  if (!tenant || !cursor) return { outcome: 'skipped', reason: 'tenant no longer exists' };
  if (tenant.status !== 'active') return { outcome: 'skipped', reason: 'tenant is disabled' };
  const log = deps.logger.child({ jobId: job.id, tenantId });
  const sweep: Sweep = {
    tenant,
    sdp: deps.sdp.forTenant(tenant),
    since:
      since !== undefined
        ? new Date(since)
        : new Date(Math.max(cursor.sweptTo.getTime() - RECONCILE_OVERLAP_MS, cursor.addedAt.getTime())),
    operator: since !== undefined,
    log,
    listed: 0,
    queued: 0,
    pages: 0,
  };
  const complete = await withFinalSdpRefusals(log, () =>
    readAllPages(deps, sweep, deps.sweepQueue as SweepQueue),
  );
  if (sweep.queued > 0) deps.metrics?.observeReconcileMissed(tenant.slug, sweep.queued);
  log.info({ listed: sweep.listed, queued: sweep.queued, pages: sweep.pages, complete }, 'tenant swept');
  return { outcome: 'swept', listed: sweep.listed, queued: sweep.queued, pages: sweep.pages, complete };
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

/** One page: queue what no enhancement covers, then move the cursor to the page's last created_time. */
async function handlePage(deps: ReconcileDeps, sweep: Sweep, target: SweepQueue, requests: SdpRequest[]) {
  sweep.listed += requests.length;
  const ids = requests.map((r) => r.id);
  const unseen = await requestsWithoutEnhancement({ db: deps.db, tenantId: sweep.tenant.id }, ids);
  sweep.queued += await queueMissedRequests(target, sweep.tenant.id, unseen);
  const last = lastCreated(requests);
  if (last !== undefined) await advanceReconcileCursor({ db: deps.db, tenantId: sweep.tenant.id }, last);
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
