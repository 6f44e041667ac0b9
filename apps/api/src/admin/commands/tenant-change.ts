import {
  isMspEdition,
  parseKnowledgeBaseSetting,
  recordAudit,
  retireWebhookSecret,
  rotateWebhookSecret,
  setTenantStatus,
  type TenantSettings,
  type TenantSummary,
  updateConnectionSettings,
  updateTenantSettings,
} from '@ai-agents/db';
import { type Command, Option } from 'commander';
import { type AdminContext, AdminError, tenantBySlug, withContext } from '../context.js';
import { delugeSnippet } from '../deluge-snippet.js';
import { notifyTenantChanged } from '../tenant-notify.js';
import { httpUrl, requireHttps } from './options.js';

type TenantStatus = 'disabled' | 'active';

interface SetOptions {
  name?: string;
  sdpUrl?: string;
  model?: string;
  embeddingModel?: string;
  tokenMode?: 'on' | 'off';
  knowledgeBase?: string;
}

/** `--knowledge-base all|off|default|<topic>,<topic>…` as the two settings it stores. */
function knowledgeBaseFlag(
  value: string | undefined,
): Pick<TenantSettings, 'knowledgeBase' | 'knowledgeBaseTopics'> {
  if (value === undefined) return {};
  try {
    return parseKnowledgeBaseSetting(value);
  } catch (error) {
    throw new AdminError(`--knowledge-base: ${(error as Error).message}`, 2);
  }
}

/** A model flag's value: "default" is the installation's model (null); empty is refused. */
function modelFlag(value: string | undefined, flag: string): string | null | undefined {
  if (value === undefined) return undefined;
  if (value.trim() === '') throw new AdminError(`${flag} must not be empty`, 2);
  return value === 'default' ? null : value;
}

/** `tenant disable|enable <slug>`. */
async function changeStatus(status: TenantStatus, slug: string, command: Command): Promise<void> {
  await withContext(command, async (ctx) => {
    const t = await tenantBySlug(ctx, slug);
    const changed = t.status !== status;
    if (changed) {
      const result = await setTenantStatus({ db: ctx.database.db, tenantId: t.id }, status, ctx.actor);
      if (result.outcome === 'not_found') throw new AdminError(`no tenant with slug "${slug}"`);
      await notifyTenantChanged(ctx, slug);
    }
    ctx.print(
      changed ? `Tenant ${slug} is now ${status}.` : `Tenant ${slug} was already ${status}; nothing changed.`,
      { slug, status, changed },
    );
  });
}

/** The flags of `tenant set` as a settings patch; refuses empty values and an empty patch. */
function settingsFrom(opts: SetOptions): TenantSettings & { sdpBaseUrl?: string | undefined } {
  const settings = {
    name: opts.name,
    sdpBaseUrl: opts.sdpUrl === undefined ? undefined : httpUrl(opts.sdpUrl, '--sdp-url'),
    llmModel: modelFlag(opts.model, '--model'),
    embeddingModel: modelFlag(opts.embeddingModel, '--embedding-model'),
    webhookTokenEnabled: opts.tokenMode === undefined ? undefined : opts.tokenMode === 'on',
    ...knowledgeBaseFlag(opts.knowledgeBase),
  };
  if (opts.name !== undefined && opts.name.trim() === '') throw new AdminError('--name must not be empty', 2);
  if (Object.values(settings).every((v) => v === undefined)) {
    throw new AdminError(
      'nothing to change: give at least one of --name, --sdp-url, --model, --embedding-model, --token-mode, --knowledge-base',
      2,
    );
  }
  return settings;
}

/** `tenant set <slug>`. */
async function setTenant(slug: string, opts: SetOptions, command: Command): Promise<void> {
  const { sdpBaseUrl, ...settings } = settingsFrom(opts);
  await withContext(command, async (ctx) => {
    if (ctx.config.isProduction && sdpBaseUrl) requireHttps(sdpBaseUrl, '--sdp-url');
    const t = await tenantBySlug(ctx, slug);
    const moved = sdpBaseUrl ? await setPortalUrl(ctx, t, sdpBaseUrl) : [];
    const updated = await updateTenantSettings({ db: ctx.database.db, tenantId: t.id }, settings, ctx.actor);
    if (updated === null) throw new AdminError(`no tenant with slug "${slug}"`);
    const changed = [...moved, ...updated];
    if (changed.length > 0) await notifyTenantChanged(ctx, slug);
    ctx.print(
      changed.length > 0
        ? `Tenant ${slug} updated: ${changed.join(', ')}.`
        : `Tenant ${slug} already had these settings; nothing changed.`,
      { slug, changed },
    );
  });
}

/**
 * `tenant set --sdp-url`: the portal is the connection's. A tenant of an MSP connection shares it with
 * the instance's other customers, so it is refused there (the operator means the whole instance).
 */
async function setPortalUrl(ctx: AdminContext, t: TenantSummary, sdpBaseUrl: string): Promise<string[]> {
  if (isMspEdition(t.edition)) {
    throw new AdminError(
      `tenant ${t.slug} is an account of connection ${t.connectionSlug}, whose portal URL all its tenants share; it is not changed per tenant`,
      2,
    );
  }
  const changes = await updateConnectionSettings(
    { db: ctx.database.db, connectionId: t.connectionId },
    { sdpBaseUrl },
  );
  if (!changes || Object.keys(changes).length === 0) return [];
  await recordAudit(
    { db: ctx.database.db, tenantId: t.id },
    { actor: ctx.actor, action: 'tenant.updated', details: { ...changes, connectionId: t.connectionId } },
  );
  return Object.keys(changes);
}

/** `tenant rotate-secret <slug>`: prints the new secret once, with the Deluge function that uses it. */
async function rotateSecret(slug: string, opts: { force?: boolean }, command: Command): Promise<void> {
  await withContext(command, async (ctx) => {
    const t = await tenantBySlug(ctx, slug);
    const result = await rotateWebhookSecret({ db: ctx.database.db, tenantId: t.id }, ctx.box, {
      actor: ctx.actor,
      force: opts.force,
    });
    if (result.outcome === 'not_found') throw new AdminError(`no tenant with slug "${slug}"`);
    if (result.outcome === 'rotation_in_progress') {
      throw new AdminError(
        `tenant ${slug} still accepts its previous secret from an earlier rotation; run "tenant retire-secret ${slug}" once ServiceDesk Plus uses the current one, or pass --force`,
      );
    }
    await notifyTenantChanged(ctx, slug);
    const webhookUrl = `${ctx.config.publicBaseUrl}/v1/webhooks/servicedesk/${slug}`;
    ctx.print(
      [
        `New webhook secret for ${slug}: ${result.webhookSecret}`,
        '(Shown only now. The old secret is still accepted: update ServiceDesk Plus, then run',
        ` "tenant retire-secret ${slug}".)`,
        '',
        'Updated Deluge custom function:',
        '',
        delugeSnippet(webhookUrl, result.webhookSecret),
      ].join('\n'),
      {
        slug,
        webhook_url: webhookUrl,
        webhook_secret: result.webhookSecret,
        previous_secret_accepted: true,
      },
    );
  });
}

/** `tenant retire-secret <slug>`. */
async function retireSecret(slug: string, _opts: unknown, command: Command): Promise<void> {
  await withContext(command, async (ctx) => {
    const t = await tenantBySlug(ctx, slug);
    const result = await retireWebhookSecret({ db: ctx.database.db, tenantId: t.id }, ctx.actor);
    if (result.outcome === 'not_found') throw new AdminError(`no tenant with slug "${slug}"`);
    const retired = result.outcome === 'retired';
    if (retired) await notifyTenantChanged(ctx, slug);
    ctx.print(
      retired
        ? `The previous webhook secret of ${slug} is retired; only the current one is accepted.`
        : `Tenant ${slug} had no previous secret; nothing changed.`,
      { slug, retired },
    );
  });
}

export function registerTenantChangeCommands(tenant: Command): void {
  for (const status of ['disabled', 'active'] as const) {
    tenant
      .command(`${status === 'disabled' ? 'disable' : 'enable'} <slug>`)
      .description(
        status === 'disabled'
          ? "refuse the tenant's webhooks (401) and stop processing its queued events"
          : "accept the tenant's webhooks again",
      )
      .action((slug: string, _opts, command: Command) => changeStatus(status, slug, command));
  }

  tenant
    .command('set <slug>')
    .description('change settings of a tenant (only the flags given)')
    .option('--name <name>', 'display name')
    .option('--sdp-url <url>', 'ServiceDesk Plus base URL')
    .option('--model <model>', 'LLM model for this tenant; "default" for the installation default')
    .option(
      '--embedding-model <model>',
      'embeddings API model for this tenant (EMBEDDER=openai); "default" for EMBEDDING_MODEL',
    )
    .addOption(
      new Option(
        '--token-mode <on|off>',
        'accept X-Webhook-Token deliveries (weaker: no replay protection)',
      ).choices(['on', 'off']),
    )
    .option(
      '--knowledge-base <setting>',
      'solutions offered in notes: all, off, a comma-separated list of solution topics, or "default" (off on an MSP account, all on a single portal)',
    )
    .action(setTenant);

  tenant
    .command('rotate-secret <slug>')
    .description(
      'make a new webhook secret current; the old one stays accepted until retire-secret (prints the new secret once)',
    )
    .option(
      '--force',
      'rotate even though the previous rotation was not retired (drops that previous secret)',
    )
    .action(rotateSecret);

  tenant
    .command('retire-secret <slug>')
    .description('stop accepting the previous webhook secret (finishes a rotation)')
    .action(retireSecret);
}
