import {
  listTenants,
  loadReconcileCursor,
  loadTenant,
  RECONCILE_OVERLAP_MS,
  recordUnmappedAccount,
  type TenantRow,
} from '@ai-agents/db';
import {
  isMspEdition,
  type SdpRequest,
  type ServiceDeskClient,
  ServiceDeskError,
} from '@ai-agents/servicedesk';
import { type Logger, reconcileConnectionSchema, safeErrorMessage } from '@ai-agents/shared';
import { type Job, UnrecoverableError } from 'bullmq';
import type { SweepQueue } from '../reconcile/queue-missed.js';
import {
  createdMs,
  mayCallSdp,
  PAGE_SIZE,
  SCHEDULED_MAX_PAGES,
  sweepTenantPage,
} from '../reconcile/sweep-pages.js';
import type { ReconcileDeps } from './reconcile-tenant.js';

export type ReconcileConnectionResult =
  | {
      outcome: 'swept';
      listed: number;
      queued: number;
      pages: number;
      complete: boolean;
      /** Distinct accounts listed that no tenant of the connection is mapped to (recorded). */
      unmappedAccounts: number;
    }
  | { outcome: 'portal_error'; kind: string; listed: number; queued: number }
  | { outcome: 'skipped'; reason: string };

/** A tenant of the connection in this sweep: its row and the moment its own sweep starts from. */
interface AccountTenant {
  tenant: TenantRow;
  sinceMs: number;
  queued: number;
}

interface ConnectionSweep {
  connectionId: string;
  /** One of its tenants: the SDP budget resolves a tenant to its connection's bucket and rate. */
  budgetTenantId: string;
  sdp: ServiceDeskClient;
  /** The earliest of its tenants' starting points: the one list covers them all. */
  since: Date;
  byAccount: Map<string, AccountTenant>;
  /** Accounts listed without a tenant, recorded once per sweep. */
  unmapped: Set<string>;
  operator: false;
  log: Logger;
  listed: number;
  pages: number;
}

/**
 * An MSP connection's scheduled sweep (issue 25): one list of the requests created since the earliest
 * of its active tenants' cursors (each minus the overlap, never before that tenant was added), for
 * every account the key may see, instead of one list per tenant. Each request goes to the tenant
 * mapped to its account, and only if it is not older than that tenant's own starting point; a request
 * of an account with no tenant is not queued, and its account is recorded for `connection accounts`
 * as the connection webhook records one (connection_account_seen(), bounded per connection). Every
 * tenant's cursor moves with the pages, which covered its account too. Each list call takes one call
 * from the connection's ServiceDesk Plus budget, the bucket its tenants' jobs draw from (sdp-rate-limit.ts
 * resolves a tenant to its connection). Refusals stop the sweep as a tenant's do.
 */
export async function processReconcileConnection(
  job: Job,
  deps: ReconcileDeps,
): Promise<ReconcileConnectionResult> {
  const parsed = reconcileConnectionSchema.safeParse(job.data);
  if (!parsed.success) throw new UnrecoverableError('Invalid reconcile job payload');
  const target = deps.sweepQueue;
  if (!target) throw new UnrecoverableError('This worker has no queue to sweep into');
  const sweep = await openConnectionSweep(deps, job, parsed.data.connectionId);
  if ('outcome' in sweep) return sweep;
  try {
    const complete = await readConnectionPages(deps, sweep, target);
    const queued = queuedOf(sweep);
    const result = { listed: sweep.listed, queued, pages: sweep.pages, complete };
    const level = queued > 0 || !complete || sweep.unmapped.size > 0 ? 'info' : 'debug';
    sweep.log[level]({ ...result, unmappedAccounts: [...sweep.unmapped] }, 'connection swept');
    return { outcome: 'swept', ...result, unmappedAccounts: sweep.unmapped.size };
  } catch (error) {
    // As a tenant's sweep: the next tick is the retry, the portal's refusal is logged, not failed.
    if (!(error instanceof ServiceDeskError)) throw error;
    sweep.log.warn(
      { kind: error.kind, httpStatus: error.httpStatus },
      `sweep stopped: ${safeErrorMessage(error)}`,
    );
    return { outcome: 'portal_error', kind: error.kind, listed: sweep.listed, queued: queuedOf(sweep) };
  } finally {
    for (const { tenant, queued } of sweep.byAccount.values())
      if (queued > 0) deps.metrics?.observeReconcileMissed(tenant.slug, queued);
  }
}

function queuedOf(sweep: ConnectionSweep): number {
  let queued = 0;
  for (const t of sweep.byAccount.values()) queued += t.queued;
  return queued;
}

/** The connection's active account tenants with their starting points, or why there is no sweep. */
async function openConnectionSweep(
  deps: ReconcileDeps,
  job: Job,
  connectionId: string,
): Promise<ConnectionSweep | Extract<ReconcileConnectionResult, { outcome: 'skipped' }>> {
  const summaries = (await listTenants(deps.db)).filter(
    (t) => t.connectionId === connectionId && t.status === 'active' && t.sdpAccountId !== null,
  );
  const byAccount = new Map<string, AccountTenant>();
  for (const summary of summaries) {
    const scope = { db: deps.db, tenantId: summary.id };
    const [tenant, cursor] = await Promise.all([loadTenant(scope), loadReconcileCursor(scope)]);
    if (!tenant?.sdpAccountId || !cursor || tenant.status !== 'active') continue;
    const sinceMs = Math.max(cursor.sweptTo.getTime() - RECONCILE_OVERLAP_MS, cursor.addedAt.getTime());
    byAccount.set(tenant.sdpAccountId, { tenant, sinceMs, queued: 0 });
  }
  const first = byAccount.values().next().value;
  if (!first) return { outcome: 'skipped', reason: 'connection has no active account tenant' };
  if (!isMspEdition(first.tenant.connection.edition))
    return { outcome: 'skipped', reason: 'not an MSP connection' };
  return {
    connectionId,
    budgetTenantId: first.tenant.id,
    sdp: deps.sdp.forConnection(first.tenant.connection),
    since: new Date(Math.min(...[...byAccount.values()].map((t) => t.sinceMs))),
    byAccount,
    unmapped: new Set(),
    operator: false,
    log: deps.logger.child({ jobId: job.id, connectionId }),
    listed: 0,
    pages: 0,
  };
}

/** Reads the connection's pages; true when it reached the end of the list, false when it stopped early. */
async function readConnectionPages(
  deps: ReconcileDeps,
  sweep: ConnectionSweep,
  target: SweepQueue,
): Promise<boolean> {
  while (sweep.pages < SCHEDULED_MAX_PAGES) {
    if (!(await mayCallSdp(deps.sdpRateLimit, sweep.budgetTenantId, sweep))) return false;
    const page = await sweep.sdp.listCreatedRequests({
      since: sweep.since,
      startIndex: 1 + sweep.pages * PAGE_SIZE,
      rowCount: PAGE_SIZE,
    });
    sweep.pages++;
    sweep.listed += page.requests.length;
    await routePage(deps, sweep, target, page.requests);
    if (!page.hasMore || page.requests.length === 0) return true;
  }
  sweep.log.warn({ pages: sweep.pages }, 'sweep stopped at its page bound; the next one goes on');
  return false;
}

/** One page: each mapped tenant's requests (from its own starting point) queued, unmapped accounts recorded. */
async function routePage(
  deps: ReconcileDeps,
  sweep: ConnectionSweep,
  target: SweepQueue,
  requests: SdpRequest[],
): Promise<void> {
  const mine = new Map<string, SdpRequest[]>();
  for (const request of requests) {
    const account = request.account;
    if (!account) continue;
    const owner = sweep.byAccount.get(account.id);
    if (!owner) {
      await rememberUnmapped(deps, sweep, account);
      continue;
    }
    if ((createdMs(request) ?? Number.POSITIVE_INFINITY) < owner.sinceMs) continue;
    const list = mine.get(account.id);
    if (list) list.push(request);
    else mine.set(account.id, [request]);
  }
  for (const [accountId, owner] of sweep.byAccount)
    owner.queued += await sweepTenantPage(deps, target, owner.tenant.id, mine.get(accountId) ?? [], requests);
}

/** connection_accounts_seen takes SDP's digit ids up to 20 digits (its check constraint). */
const RECORDABLE_ACCOUNT_ID = /^\d{1,20}$/;

async function rememberUnmapped(
  deps: ReconcileDeps,
  sweep: ConnectionSweep,
  account: { id: string; name: string },
): Promise<void> {
  if (sweep.unmapped.has(account.id)) return;
  sweep.unmapped.add(account.id);
  if (!RECORDABLE_ACCOUNT_ID.test(account.id)) return;
  await recordUnmappedAccount(deps.db, sweep.connectionId, account.id, account.name || null);
}
