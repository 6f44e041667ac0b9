import { advanceReconcileCursor, type Db, requestsWithoutEnhancement } from '@ai-agents/db';
import type { SdpRequest } from '@ai-agents/servicedesk';
import { eventJobSchema, type Logger } from '@ai-agents/shared';
import { countReservedCalls, type SdpRateLimit } from '../pipeline/sdp-rate-limit.js';
import { queueMissedRequests, type SweepQueue } from './queue-missed.js';

/**
 * What a tenant's sweep (processors/reconcile-tenant.ts) and an MSP connection's sweep
 * (processors/reconcile-connection.ts) share: the page bounds, the budget, and what one page does
 * for one tenant.
 */

// SDP's largest page. A scheduled sweep reads at most 10 pages (1,000 requests, created since the
// last sweep two minutes ago: far beyond any portal's pace) and resumes from its cursor next tick;
// an operator's `--since` sweep reads up to 100 pages (10,000 requests) in one go.
export const PAGE_SIZE = 100;
export const SCHEDULED_MAX_PAGES = 10;
export const OPERATOR_MAX_PAGES = 100;

/**
 * Queues what no enhancement of the tenant covers among `requests` (its own), then moves its cursor to
 * the page's last created_time, but never past our own clock: a portal whose clock runs ahead would
 * otherwise push the cursor beyond the overlap, and the next requests, stamped by a corrected clock,
 * would never be listed. `pageRequests` is the whole page (a connection's page holds other accounts'
 * requests too: the list read them all up to its last created_time). Returns how many were queued.
 */
export async function sweepTenantPage(
  deps: { db: Db },
  target: SweepQueue,
  tenantId: string,
  requests: readonly SdpRequest[],
  pageRequests: readonly SdpRequest[] = requests,
): Promise<number> {
  const scope = { db: deps.db, tenantId };
  // Only ids a job can carry (the job contract's digits, as SDP's are): any other could never be noted.
  const ids = requests.map((r) => r.id).filter((id) => eventJobSchema.shape.requestId.safeParse(id).success);
  const unseen = await requestsWithoutEnhancement(scope, ids);
  const queued = await queueMissedRequests(target, tenantId, unseen);
  const last = lastCreated(pageRequests);
  if (last !== undefined) await advanceReconcileCursor(scope, new Date(Math.min(last, Date.now())));
  return queued;
}

/** A request's created_time (SDP's epoch ms), or undefined when it carries none readable. */
export function createdMs(request: SdpRequest): number | undefined {
  const ms = Number(request.created_time?.value);
  return Number.isSafeInteger(ms) && ms > 0 ? ms : undefined;
}

/** The latest created_time on the page (epoch ms), or undefined when none carries one. */
function lastCreated(requests: readonly SdpRequest[]): number | undefined {
  let latest: number | undefined;
  for (const r of requests) {
    const ms = createdMs(r);
    if (ms !== undefined && (latest === undefined || ms > latest)) latest = ms;
  }
  return latest;
}

/**
 * Takes one call from the ServiceDesk Plus budget of `tenantId`'s connection (an MSP connection's sweep
 * names one of its tenants). Over budget, a scheduled sweep stops (the next tick goes on from the
 * cursor); an operator's sweep waits for the budget, as long as it takes.
 */
export async function mayCallSdp(
  rateLimit: SdpRateLimit | undefined,
  tenantId: string,
  sweep: { operator: boolean; log: Logger },
): Promise<boolean> {
  if (!rateLimit) return true;
  for (;;) {
    const waitMs = await rateLimit.reserve(tenantId, 1);
    if (waitMs <= 0) {
      // Reserved here, page by page: the job's meter (fair share) must not draw it a second time.
      countReservedCalls(1);
      return true;
    }
    if (!sweep.operator) {
      sweep.log.info({ waitMs }, 'ServiceDesk Plus budget used up; the sweep goes on next tick');
      return false;
    }
    await new Promise((resolve) => setTimeout(resolve, waitMs));
  }
}
