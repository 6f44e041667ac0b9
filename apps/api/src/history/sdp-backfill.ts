import {
  addHistory,
  type Db,
  loadImportCursor,
  saveImportCursor,
  type TenantRow,
  withTenant,
} from '@ai-agents/db';
import {
  isMspEdition,
  type ResolvedTicket,
  resolvedTicketFrom,
  type ServiceDeskClient,
  ServiceDeskError,
  ticketBodyText,
} from '@ai-agents/servicedesk';

export interface BackfillOptions {
  since?: Date | undefined;
  /** Ignore a stored cursor and start from the first page. */
  restart?: boolean;
  /** ServiceDesk Plus calls per second at most. */
  requestsPerSecond: number;
  /** SDP's maximum and default: 100. */
  pageSize?: number;
  onProgress?: (progress: BackfillProgress) => void;
}

export interface BackfillProgress {
  imported: number;
  /**
   * Requests that vanished between the list and the fetch (deleted, or no longer visible), and on an
   * MSP connection those whose fetched account is not the tenant's.
   */
  skipped: number;
  page: number;
  resumedAt: number | null;
  done: boolean;
}

/** Spaces calls at least 1/rate seconds apart: the portal serves technicians at work too. */
function createPacer(perSecond: number): () => Promise<void> {
  const interval = 1000 / perSecond;
  let next = 0;
  return async () => {
    const now = Date.now();
    const wait = Math.max(0, next - now);
    next = Math.max(now, next) + interval;
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  };
}

/**
 * Copies a tenant's resolved and closed requests (with their resolutions) from ServiceDesk Plus into
 * its history, a page of 100 at a time. On an MSP connection the list is the tenant's account's
 * (`list_info.account_id`, docs/servicedesk-plus-msp.md) and a fetched request of another account is
 * skipped: only the tenant's own tickets become its history. After each page the page's tickets and the next start index
 * are committed together, so an interrupted run resumes where it stopped (same --since) and never
 * loses a page. Lists leave the description out, so each request is fetched once, with its resolution.
 */
export async function backfillFromSdp(
  db: Db,
  tenant: TenantRow,
  sdp: ServiceDeskClient,
  options: BackfillOptions,
): Promise<BackfillProgress> {
  const since = options.since?.toISOString() ?? '';
  const cursor = await loadImportCursor({ db, tenantId: tenant.id });
  const resume = !options.restart && cursor && cursor.since === since && !cursor.completed ? cursor : null;
  let startIndex = resume?.nextStartIndex ?? 1;
  const progress: BackfillProgress = {
    imported: resume?.imported ?? 0,
    skipped: 0,
    page: 0,
    resumedAt: resume ? startIndex : null,
    done: false,
  };
  const pace = createPacer(options.requestsPerSecond);
  const pageSize = Math.min(options.pageSize ?? 100, 100);
  const accountId = isMspEdition(tenant.connection.edition) ? (tenant.sdpAccountId ?? undefined) : undefined;
  for (;;) {
    await pace();
    const page = await sdp.listRequests({ since: options.since, startIndex, rowCount: pageSize, accountId });
    const tickets: ResolvedTicket[] = [];
    for (const listed of page.requests) {
      try {
        await pace();
        const request = await sdp.getRequest(listed.id);
        if (accountId !== undefined && request.account?.id !== accountId) {
          progress.skipped++;
          continue;
        }
        await pace();
        const resolution = await sdp.getResolution(listed.id);
        tickets.push(resolvedTicketFrom(request, resolution, ticketBodyText));
      } catch (error) {
        if (error instanceof ServiceDeskError && error.kind === 'not_found') {
          progress.skipped++;
          continue;
        }
        throw error;
      }
    }
    startIndex += page.requests.length;
    progress.page++;
    progress.imported += tickets.length;
    progress.done = !page.hasMore || page.requests.length === 0;
    const state = {
      since,
      nextStartIndex: startIndex,
      imported: progress.imported,
      completed: progress.done,
    };
    // One transaction: the cursor moves exactly when the page's tickets are stored.
    await withTenant(db, tenant.id, async (tx) => {
      await addHistory({ db, tenantId: tenant.id, tx }, tickets);
      await saveImportCursor({ db, tenantId: tenant.id, tx }, state);
    });
    options.onProgress?.({ ...progress });
    if (progress.done) return progress;
  }
}
