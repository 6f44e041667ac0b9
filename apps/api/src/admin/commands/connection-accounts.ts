import {
  type ConnectionRow,
  isMspEdition,
  listSeenAccounts,
  listTenants,
  loadConnection,
} from '@ai-agents/db';
import { createTenantClients } from '@ai-agents/servicedesk';
import type { Command } from 'commander';
import {
  type AccountVisibility,
  accountVisibilityJson,
  accountVisibilityLines,
  checkAccountVisibility,
  invisibleAccountsProblem,
  mappedAccounts,
} from '../account-visibility.js';
import { type AdminContext, AdminError, withContext, withSharedServiceDesk } from '../context.js';
import { checkServiceDesk } from '../sdp-check.js';
import { connectionBySlug } from './connection.js';

interface AccountLine {
  sdp_account_id: string;
  sdp_account_name: string | null;
  tenant: string | null;
  first_seen_at: string | null;
  last_seen_at: string | null;
  deliveries: number;
}

/**
 * `connection accounts <slug>`: every account the connection knows of — mapped to a tenant, or seen
 * in its webhooks without one (remembered by the webhook, bounded per connection) — with its tenant
 * or none, so the operator can onboard the customers still unmapped.
 */
async function listAccounts(slug: string, _opts: unknown, command: Command): Promise<void> {
  await withContext(command, async (ctx) => {
    const c = await connectionBySlug(ctx, slug);
    const tenants = (await listTenants(ctx.database.db)).filter(
      (t) => t.connectionId === c.id && t.sdpAccountId,
    );
    const seen = await listSeenAccounts({ db: ctx.database.db, connectionId: c.id });
    const byAccount = new Map<string, AccountLine>();
    for (const t of tenants) {
      const id = t.sdpAccountId as string;
      byAccount.set(id, {
        sdp_account_id: id,
        sdp_account_name: t.sdpAccountName,
        tenant: t.slug,
        first_seen_at: null,
        last_seen_at: null,
        deliveries: 0,
      });
    }
    for (const s of seen) {
      const known = byAccount.get(s.sdpAccountId);
      byAccount.set(s.sdpAccountId, {
        sdp_account_id: s.sdpAccountId,
        sdp_account_name: known?.sdp_account_name ?? s.sdpAccountName,
        tenant: known?.tenant ?? null,
        first_seen_at: s.firstSeenAt.toISOString(),
        last_seen_at: s.lastSeenAt.toISOString(),
        deliveries: s.deliveries,
      });
    }
    const lines = [...byAccount.values()];
    ctx.print(
      lines.length === 0
        ? `Connection ${slug} has no mapped account and its webhooks named none yet.`
        : lines
            .map((a) =>
              `${a.sdp_account_id.padEnd(20)} ${(a.tenant ?? '(no tenant)').padEnd(24)} ${String(a.deliveries).padStart(6)} unmapped deliveries${a.last_seen_at ? `, last ${a.last_seen_at}` : ''}  ${a.sdp_account_name ?? ''}`.trimEnd(),
            )
            .join('\n'),
      lines,
    );
  });
}

/**
 * `connection check <slug>`: the probe `tenant check` makes, with the connection's stored
 * credentials, and on an MSP edition whether the key can see each mapped account
 * (account-visibility.ts). An account the key cannot see fails the check: its tenant gets no note.
 */
async function checkConnection(slug: string, _opts: unknown, command: Command): Promise<void> {
  await withContext(command, async (ctx) => {
    const c = await connectionBySlug(ctx, slug);
    const row = await loadConnection({ db: ctx.database.db, connectionId: c.id });
    if (!row) throw new AdminError(`no connection with slug "${slug}"`);
    const { result, accounts } = await withSharedServiceDesk(ctx, async (shared) => {
      const options = { shared, requireHttps: ctx.config.isProduction };
      const checked = await checkServiceDesk(row, ctx.box, ctx.config.sdpTimeoutMs, options);
      if (!checked.ok || !isMspEdition(row.edition)) return { result: checked, accounts: [] };
      return { result: checked, accounts: await checkAccounts(ctx, row, shared) };
    });
    if (!result.ok) throw new AdminError(`${slug}: ${result.message}`);
    const invisible = invisibleAccountsProblem(slug, accounts);
    if (invisible) throw new AdminError(invisible);
    const degraded = result.capabilities.filter((x) => !x.ok);
    ctx.print(
      [
        `${slug}: OK (ServiceDesk Plus at ${row.sdpBaseUrl} answered with the stored credentials)`,
        ...degraded.map((x) => `  warning: ${x.message}`),
        ...accountVisibilityLines(accounts),
      ].join('\n'),
      {
        slug,
        ok: true,
        capabilities: result.capabilities.map((x) => ({ capability: x.capability, ok: x.ok })),
        ...(isMspEdition(row.edition) ? { accounts: accountVisibilityJson(accounts) } : {}),
      },
    );
  });
}

/** Whether the connection's key sees each account mapped to one of its tenants. */
async function checkAccounts(
  ctx: AdminContext,
  row: ConnectionRow,
  shared: Parameters<typeof createTenantClients>[0]['shared'],
): Promise<AccountVisibility[]> {
  const accounts = mappedAccounts(await listTenants(ctx.database.db), row.id);
  const sdp = createTenantClients({
    box: ctx.box,
    timeoutMs: ctx.config.sdpTimeoutMs,
    requireHttps: ctx.config.isProduction,
    ...(shared ? { shared } : {}),
  }).forConnection(row);
  return checkAccountVisibility(sdp, accounts);
}

export function registerConnectionAccountsCommands(connection: Command): void {
  connection
    .command('accounts <slug>')
    .description('accounts mapped to a tenant or seen in webhooks without one')
    .action(listAccounts);
  connection
    .command('check <slug>')
    .description(
      "try the connection's stored credentials as tenant check does, and whether the key sees each mapped account",
    )
    .action(checkConnection);
}
