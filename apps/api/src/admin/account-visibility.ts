import type { TenantSummary } from '@ai-agents/db';
import { type ServiceDeskClient, ServiceDeskError } from '@ai-agents/servicedesk';

/** A mapped account of an MSP connection and its tenant. */
export interface MappedAccount {
  accountId: string;
  tenant: string;
}

export type AccountVisibility = MappedAccount &
  (
    | { visible: true }
    /** `forbidden`: the key is not associated with the account; `no_such_account`: the instance has none. */
    | { visible: false; problem: 'forbidden' | 'no_such_account'; message: string }
    /** The portal did not let us find out (credentials refused, unreachable): `tenant check` names why. */
    | { visible: null; problem: string; message: string }
  );

/**
 * `connection check`, per mapped account: whether the connection's key can see the account, by the
 * call the worker's sweep and backfill make — a list narrowed to the account (`list_info.account_id`,
 * one row, created from now on, so nothing is read). An MSP technician sees only the accounts they
 * are associated with ("The Account Admin can only View/Edit the accounts to which he is associated",
 * MSP admin guide, configuring-accounts); the portal refuses another account's list with 4002 (HTTP
 * 403), which the client reads as `forbidden`, and an id that is no account with 4001 naming
 * `account_id` (`bad_request`): docs/servicedesk-plus-msp.md, "Calls and fields". One call per
 * account, one after another: a connection's accounts are checked at the pace of one technician.
 */
export async function checkAccountVisibility(
  sdp: ServiceDeskClient,
  accounts: readonly MappedAccount[],
): Promise<AccountVisibility[]> {
  const results: AccountVisibility[] = [];
  for (const account of accounts) results.push(await checkOne(sdp, account));
  return results;
}

async function checkOne(sdp: ServiceDeskClient, account: MappedAccount): Promise<AccountVisibility> {
  try {
    await sdp.listCreatedRequests({
      since: new Date(),
      startIndex: 1,
      rowCount: 1,
      accountId: account.accountId,
    });
    return { ...account, visible: true };
  } catch (error) {
    if (!(error instanceof ServiceDeskError)) throw error;
    if (error.kind === 'forbidden')
      return {
        ...account,
        visible: false,
        problem: 'forbidden',
        message: `cannot see account ${account.accountId}: associate the key's technician with the account (MSP admin guide, configuring accounts)`,
      };
    if (error.kind === 'bad_request')
      return {
        ...account,
        visible: false,
        problem: 'no_such_account',
        message: `the instance has no account ${account.accountId}: check the tenant's --sdp-account-id`,
      };
    return { ...account, visible: null, problem: error.kind, message: `could not check: ${error.message}` };
  }
}

/** The results as `connection check` prints them, one line per account. */
export function accountVisibilityLines(results: readonly AccountVisibility[]): string[] {
  return results.map((r) =>
    r.visible
      ? `  account ${r.accountId} (${r.tenant}): the key can see it`
      : `  account ${r.accountId} (${r.tenant}): ${r.message}`,
  );
}

/** The mapped accounts of a connection, from the tenant directory, in slug order. */
export function mappedAccounts(tenants: readonly TenantSummary[], connectionId: string): MappedAccount[] {
  return tenants
    .filter((t) => t.connectionId === connectionId && t.sdpAccountId !== null)
    .map((t) => ({ accountId: t.sdpAccountId as string, tenant: t.slug }));
}

/** The results as `--json` prints them. */
export function accountVisibilityJson(results: readonly AccountVisibility[]) {
  return results.map((r) => ({
    sdp_account_id: r.accountId,
    tenant: r.tenant,
    visible: r.visible,
    ...(r.visible ? {} : { problem: r.problem, message: r.message }),
  }));
}

/** Why the check fails when the key cannot see some mapped accounts; null when it sees them all. */
export function invisibleAccountsProblem(slug: string, results: readonly AccountVisibility[]): string | null {
  const unseen = results.filter((r) => r.visible === false);
  if (unseen.length === 0) return null;
  const which = unseen.map((r) => `${r.tenant}: ${r.visible === false ? r.message : ''}`).join('; ');
  return `${slug}: the key cannot see ${unseen.length} of ${results.length} mapped accounts (${which})`;
}
