import { type Db, recordAudit, type TenantRow } from '@ai-agents/db';
import { isMspEdition, type SdpRequest } from '@ai-agents/servicedesk';
import type { Logger } from '@ai-agents/shared';

/** A request of another account than the tenant's: the ids of both (never a ticket's text). */
export interface AccountMismatch {
  /** The tenant's account (tenants.sdp_account_id). */
  expected: string | null;
  /** The account of the request as ServiceDesk Plus answered it; null when it carries none. */
  found: string | null;
}

/**
 * On an MSP connection the account of the fetched request is the truth (issue 25): a job that names a
 * request of another customer (a webhook whose payload named the wrong account, a template sending
 * another id, a request moved between accounts) must not put that customer's ticket into this tenant's
 * note or history. Null when the request is the tenant's, and always on a single-portal edition, whose
 * requests carry no account.
 */
export function accountMismatch(
  tenant: Pick<TenantRow, 'sdpAccountId' | 'connection'>,
  request: Pick<SdpRequest, 'account'>,
): AccountMismatch | null {
  if (!isMspEdition(tenant.connection.edition)) return null;
  const found = request.account?.id ?? null;
  if (found !== null && found === tenant.sdpAccountId) return null;
  return { expected: tenant.sdpAccountId, found };
}

/**
 * Records a mismatch in the tenant's audit log (ids only: no subject, no body, no account name) and
 * logs it at warn: it means the routing in front of the worker is wrong, which an operator must see.
 */
export async function auditAccountMismatch(
  deps: { db: Db },
  tenant: Pick<TenantRow, 'id'>,
  entry: { requestId: string; eventId: string; jobKind: string; mismatch: AccountMismatch },
  log: Logger,
): Promise<void> {
  const details = {
    requestId: entry.requestId,
    eventId: entry.eventId,
    job: entry.jobKind,
    expectedAccount: entry.mismatch.expected,
    requestAccount: entry.mismatch.found,
  };
  await recordAudit(
    { db: deps.db, tenantId: tenant.id },
    { actor: 'worker', action: 'request.account_mismatch', details },
  );
  log.warn(details, "the request belongs to another account than the tenant's; nothing posted");
}
