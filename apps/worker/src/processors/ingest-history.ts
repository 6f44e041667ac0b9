import { addHistory, type Db, loadTenant, type TenantScope } from '@ai-agents/db';
import { type Retrieval, refreshTenantLsa } from '@ai-agents/retrieval';
import { resolvedTicketFrom, type TenantClients, ticketBodyText } from '@ai-agents/servicedesk';
import { type Logger, safeErrorMessage } from '@ai-agents/shared';
import { type Job, UnrecoverableError } from 'bullmq';
import { accountMismatch, auditAccountMismatch } from '../pipeline/account-check.js';
import { readJobPayload, withFinalSdpRefusals } from './job-errors.js';

export interface IngestHistoryDeps {
  db: Db;
  sdp: TenantClients;
  logger: Logger;
  /** The installation's embedder (EMBEDDER); without it, the LSA upkeep. */
  retrieval?: Retrieval;
}

export type IngestHistoryResult =
  | { outcome: 'added'; requestId: string }
  | { outcome: 'skipped'; reason: string }
  /** MSP: another account's request; not added to this tenant's history, audited. */
  | { outcome: 'account_mismatch'; requestAccount: string | null };

/**
 * request.resolved / request.closed → the ticket joins the tenant's history of resolved tickets, so
 * the next similar ticket's note can cite it. Fetches the request and its resolution (SDP), then
 * upserts (Postgres, RLS): a redelivered or later event refreshes the same row.
 */
export async function processIngestHistory(job: Job, deps: IngestHistoryDeps): Promise<IngestHistoryResult> {
  const data = readJobPayload(job);
  const log = deps.logger.child({ jobId: job.id, tenantId: data.tenantId, requestId: data.requestId });

  const tenant = await loadTenant({ db: deps.db, tenantId: data.tenantId });
  if (!tenant) throw new UnrecoverableError('Tenant no longer exists');
  if (tenant.status !== 'active') return { outcome: 'skipped', reason: 'tenant is disabled' };

  return withFinalSdpRefusals<IngestHistoryResult>(log, async () => {
    const sdp = deps.sdp.forTenant(tenant);
    const request = await sdp.getRequest(data.requestId);
    const mismatch = accountMismatch(tenant, request);
    if (mismatch) {
      const entry = { requestId: data.requestId, eventId: data.eventId, jobKind: job.name, mismatch };
      await auditAccountMismatch(deps, tenant, entry, log);
      return { outcome: 'account_mismatch', requestAccount: mismatch.found };
    }
    const resolution = await sdp.getResolution(data.requestId);
    const ticket = resolvedTicketFrom(request, resolution, ticketBodyText);
    await addHistory({ db: deps.db, tenantId: tenant.id }, [ticket]);
    log.info({ event: data.event }, 'resolved ticket added to history');
    await refreshEmbeddings({ db: deps.db, tenantId: tenant.id }, tenant, deps, log);
    return { outcome: 'added', requestId: data.requestId };
  });
}

/**
 * Embeds the new ticket, and refits the tenant's LSA model once its history has grown by a fifth
 * (a few seconds at 50,000 tickets; this is a background job, no note waits for it), or with
 * EMBEDDER=openai embeds it (the whole history after a change of model) through the API. A failure
 * is logged, not retried: the ticket is in the history, BM25 finds it, and the next ingest embeds it.
 */
async function refreshEmbeddings(
  scope: TenantScope,
  tenant: { embeddingModel: string | null },
  deps: IngestHistoryDeps,
  log: Logger,
): Promise<void> {
  try {
    await (deps.retrieval ? deps.retrieval.refresh(scope, tenant) : refreshTenantLsa(scope));
  } catch (error) {
    log.warn({ reason: safeErrorMessage(error) }, 'similar-by-meaning model not refreshed');
  }
}
