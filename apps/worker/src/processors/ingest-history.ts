import { addHistory, type Db, loadTenant, withTenant } from '@ai-agents/db';
import {
  resolvedTicketFrom,
  ServiceDeskError,
  type TenantClients,
  ticketHtmlToText,
} from '@ai-agents/servicedesk';
import { type EnhanceJob, enhanceJobSchema, type Logger, safeErrorMessage } from '@ai-agents/shared';
import { type Job, UnrecoverableError } from 'bullmq';

export interface IngestHistoryDeps {
  db: Db;
  sdp: TenantClients;
  logger: Logger;
}

export type IngestHistoryResult =
  | { outcome: 'added'; requestId: string }
  | { outcome: 'skipped'; reason: string };

/**
 * request.resolved / request.closed → the ticket joins the tenant's history of resolved tickets, so
 * the next similar ticket's note can cite it. Fetches the request and its resolution (SDP), then
 * upserts (Postgres, RLS): a redelivered or later event refreshes the same row.
 */
export async function processIngestHistory(job: Job, deps: IngestHistoryDeps): Promise<IngestHistoryResult> {
  const parsed = enhanceJobSchema.safeParse(job.data);
  if (!parsed.success)
    throw new UnrecoverableError(`Invalid job payload: ${parsed.error.issues[0]?.message ?? 'unknown'}`);
  const data: EnhanceJob = parsed.data;
  const log = deps.logger.child({ jobId: job.id, tenantId: data.tenantId, requestId: data.requestId });

  const tenant = await withTenant(deps.db, data.tenantId, (tx) => loadTenant(tx, data.tenantId));
  if (!tenant) throw new UnrecoverableError('Tenant no longer exists');
  if (tenant.status !== 'active') return { outcome: 'skipped', reason: 'tenant is disabled' };

  try {
    const sdp = deps.sdp.forTenant(tenant);
    const request = await sdp.getRequest(data.requestId);
    const resolution = await sdp.getResolution(data.requestId);
    const ticket = resolvedTicketFrom(request, resolution, ticketHtmlToText);
    await withTenant(deps.db, tenant.id, (tx) => addHistory(tx, tenant.id, [ticket]));
    log.info({ event: data.event }, 'resolved ticket added to history');
    return { outcome: 'added', requestId: data.requestId };
  } catch (error) {
    if (error instanceof ServiceDeskError && !error.retryable) {
      const message = safeErrorMessage(error);
      log.warn({ kind: error.kind, httpStatus: error.httpStatus }, `giving up: ${message}`);
      throw new UnrecoverableError(message);
    }
    throw error;
  }
}
