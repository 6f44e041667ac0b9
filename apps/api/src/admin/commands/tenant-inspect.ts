import {
  describeKnowledgeBase,
  knowledgeBasePolicy,
  listAudit,
  listTenants,
  loadTenant,
  type TenantSummary,
} from '@ai-agents/db';
import { llmEndpointLabel, llmEndpointOf } from '@ai-agents/shared';
import type { Command } from 'commander';
import {
  type AdminContext,
  AdminError,
  tenantBySlug,
  withContext,
  withSharedServiceDesk,
} from '../context.js';
import { checkTenantLlm, llmCheckLine } from '../llm-check.js';
import { checkServiceDesk } from '../sdp-check.js';

/** A tenant as printed by list/show: settings only, never a secret. */
function tenantJson(t: TenantSummary) {
  return {
    id: t.id,
    slug: t.slug,
    name: t.name,
    status: t.status,
    sdp_url: t.sdpBaseUrl,
    sdp_auth: t.sdpAuthType,
    connection: t.connectionSlug,
    edition: t.edition,
    sdp_account_id: t.sdpAccountId,
    sdp_account_name: t.sdpAccountName,
    model: t.llmModel,
    token_mode: t.webhookTokenEnabled,
    rotating_secret: t.rotatingWebhookSecret,
    created_at: t.createdAt.toISOString(),
    updated_at: t.updatedAt.toISOString(),
  };
}

/** `tenant list`. */
async function listAll(_opts: unknown, command: Command): Promise<void> {
  await withContext(command, async (ctx) => {
    const tenants = await listTenants(ctx.database.db);
    const rows = tenants.map(
      (t) =>
        `${t.slug.padEnd(24)} ${t.status.padEnd(8)} ${t.sdpAuthType.padEnd(6)} ${t.sdpBaseUrl}  ${t.name}`,
    );
    ctx.print(
      tenants.length === 0 ? 'No tenants yet (add one: tenant add --help).' : rows.join('\n'),
      tenants.map(tenantJson),
    );
  });
}

/** `tenant show <slug>`. */
async function showOne(slug: string, _opts: unknown, command: Command): Promise<void> {
  await withContext(command, async (ctx) => {
    const t = await tenantBySlug(ctx, slug);
    const scope = { db: ctx.database.db, tenantId: t.id };
    const audit = await listAudit(scope, 10);
    // The directory holds no endpoint nor knowledge-base setting: read them from the tenant's own row
    // (the endpoint's kind and host, never the key).
    const row = await loadTenant(scope);
    const endpoint = llmEndpointLabel(row ? llmEndpointOf(row) : null);
    const knowledgeBase = row ? knowledgeBasePolicy(row) : null;
    const webhookUrl = `${ctx.config.publicBaseUrl}/v1/webhooks/servicedesk/${t.slug}`;
    ctx.print(
      [
        `Tenant ${t.slug} (${t.name}), id ${t.id}`,
        `  status:          ${t.status}`,
        `  ServiceDesk:     ${t.sdpBaseUrl} (${t.sdpAuthType})`,
        `  connection:      ${t.connectionSlug} (${t.edition})${t.sdpAccountId ? `, account ${t.sdpAccountId}${t.sdpAccountName ? ` (${t.sdpAccountName})` : ''}` : ''}`,
        `  model:           ${t.llmModel ?? '(installation default)'}`,
        `  model endpoint:  ${endpoint}`,
        `  knowledge base:  ${knowledgeBase ? describeKnowledgeBase(knowledgeBase) : '(unknown)'}${row?.knowledgeBase ? '' : ' (the edition default)'}`,
        `  webhook URL:     ${webhookUrl}`,
        `  token mode:      ${t.webhookTokenEnabled ? 'on (X-Webhook-Token accepted; no replay protection)' : 'off'}`,
        `  secret rotation: ${t.rotatingWebhookSecret ? 'in progress (previous secret still accepted; finish with tenant retire-secret)' : 'none'}`,
        '  recent changes:',
        ...audit.map(
          (a) =>
            `    ${a.createdAt.toISOString()}  ${a.actor.padEnd(12)} ${a.action} ${JSON.stringify(a.details)}`,
        ),
      ].join('\n'),
      {
        ...tenantJson(t),
        llm_endpoint: endpoint,
        knowledge_base: knowledgeBase,
        webhook_url: webhookUrl,
        audit: audit.map((a) => ({
          actor: a.actor,
          action: a.action,
          details: a.details,
          created_at: a.createdAt.toISOString(),
        })),
      },
    );
  });
}

/**
 * The read `tenant check` makes with the stored credentials and the call to the tenant's own model
 * endpoint (llm-check.ts), printed; throws when either failed.
 */
async function reportCheck(ctx: AdminContext, slug: string, timeoutMs: number): Promise<void> {
  const summary = await tenantBySlug(ctx, slug);
  const row = await loadTenant({ db: ctx.database.db, tenantId: summary.id });
  if (!row) throw new AdminError(`no tenant with slug "${slug}"`);
  const requireHttps = ctx.config.isProduction;
  const [result, llm] = await Promise.all([
    withSharedServiceDesk(ctx, (shared) =>
      checkServiceDesk(row.connection, ctx.box, timeoutMs, { shared, requireHttps }),
    ),
    checkTenantLlm(ctx.box, row, { timeoutMs, requireHttps }),
  ]);
  const capabilities = result.capabilities.map((c) => ({
    capability: c.capability,
    required: c.required,
    ok: c.ok,
    ...(c.problem ? { problem: c.problem, message: c.message } : {}),
  }));
  if (!result.ok) {
    if (ctx.json)
      ctx.print('', { slug, ok: false, problem: result.problem, message: result.message, capabilities, llm });
    throw new AdminError(`${slug}: ${result.message}\n  ${llmCheckLine(llm)}`);
  }
  const degraded = result.capabilities.filter((c) => !c.ok);
  const ok = llm.ok !== false;
  ctx.print(
    [
      `${slug}: ${ok ? 'OK' : 'FAILED'} (ServiceDesk Plus at ${row.connection.sdpBaseUrl} answered with the stored credentials)`,
      ...degraded.map(
        (c) => `  warning: ${c.message} (notes are posted without this context until it is granted)`,
      ),
      `  ${llmCheckLine(llm)}`,
    ].join('\n'),
    { slug, ok, capabilities, llm },
  );
  if (!ok) throw new AdminError(`${slug}: its LLM endpoint ${llm.endpoint} failed: ${llm.message}`);
}

/** `tenant check <slug>`. */
async function check(slug: string, opts: { timeout: string }, command: Command): Promise<void> {
  const timeoutMs = Number(opts.timeout);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 100 || timeoutMs > 120_000) {
    throw new AdminError(
      `--timeout must be a whole number of milliseconds (100-120000), got "${opts.timeout}"`,
      2,
    );
  }
  await withContext(command, (ctx) => reportCheck(ctx, slug, timeoutMs));
}

export function registerTenantInspectCommands(tenant: Command): void {
  tenant.command('list').description('list all tenants (no secrets)').action(listAll);

  tenant
    .command('show <slug>')
    .description('show one tenant: settings, webhook URL and recent audit entries (no secrets)')
    .action(showOne);

  tenant
    .command('check <slug>')
    .description(
      'call ServiceDesk Plus with the stored credentials (a harmless GET) and report OK or why not',
    )
    .option('--timeout <ms>', 'give up after this many milliseconds', '10000')
    .action(check);
}
