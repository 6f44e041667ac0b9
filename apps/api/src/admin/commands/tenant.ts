import { type ConnectionSummary, type CreateTenantResult, createTenant } from '@ai-agents/db';
import { type Command, Option } from 'commander';
import { type AdminContext, AdminError, type AdminIo, withContext } from '../context.js';
import { readStdinVariables, refuseSecretFlags, sdpCredentialsFrom } from '../credential-input.js';
import { delugeSnippet } from '../deluge-snippet.js';
import { connectionBySlug, connectionWebhookUrl } from './connection.js';
import { httpUrl, requireHttps, SLUG } from './options.js';
import { registerTenantChangeCommands } from './tenant-change.js';
import { registerTenantCredentialsCommand } from './tenant-credentials.js';
import { registerTenantEraseCommand } from './tenant-erase.js';
import { registerTenantExportCommand } from './tenant-export.js';
import { registerTenantInspectCommands } from './tenant-inspect.js';
import { registerTenantReconcileCommand } from './tenant-reconcile.js';
import { registerTenantRetentionCommand } from './tenant-retention.js';
import { registerTenantRulesCommands } from './tenant-rules.js';

export function registerTenantCommands(program: Command, io: AdminIo): void {
  const tenant = program.command('tenant').description('manage tenants (client companies)');

  tenant
    .command('add')
    .description('create a tenant; prints its webhook URL, its new webhook secret and the Deluge snippet')
    .requiredOption('--slug <slug>', 'URL-safe id: lower-case letters, digits and -')
    .requiredOption('--name <name>', 'display name of the client company')
    .option(
      '--sdp-url <url>',
      'ServiceDesk Plus base URL (e.g. https://sdp.client.example); not with --connection',
    )
    .addOption(
      new Option('--sdp-auth <mode>', 'ServiceDesk Plus authentication; not with --connection').choices([
        'onprem',
        'cloud',
      ]),
    )
    .option('--connection <slug>', 'an existing connection (connection add) instead of a portal of its own')
    .option('--sdp-account-id <id>', "the customer's ServiceDesk Plus MSP account id (MSP connections)")
    .option('--sdp-account-name <name>', 'the account name, for display')
    .option('--client-id <id>', 'Cloud OAuth client id (or SDP_CLIENT_ID)')
    .option(
      '--accounts-url <url>',
      'Cloud accounts server of the data centre, e.g. https://accounts.zoho.eu (or SDP_ACCOUNTS_URL)',
    )
    .option(
      '--stdin',
      'read the secrets from standard input as NAME=value lines (see tenant set-credentials)',
    )
    .addOption(secretFlag('--technician-key <key>'))
    .addOption(secretFlag('--client-secret <secret>'))
    .addOption(secretFlag('--refresh-token <token>'))
    .option('--model <model>', 'LLM model for this tenant (default: the installation default)')
    .addHelpText(
      'after',
      '\nSecrets come from the environment (SDP_TECHNICIAN_KEY; SDP_CLIENT_SECRET and SDP_REFRESH_TOKEN)\nor, with --stdin, from standard input; never from flags (they show in ps and shell history).',
    )
    .action(async (opts: AddOptions, command: Command) => {
      if (!SLUG.test(opts.slug)) throw new AdminError(`--slug must match ${SLUG}, got "${opts.slug}"`, 2);
      refuseSecretFlags(opts);
      if (opts.connection !== undefined) return addOnConnection(opts, command);
      if (opts.sdpAccountId !== undefined)
        throw new AdminError(
          '--sdp-account-id maps an account of an MSP connection: give --connection too',
          2,
        );
      if (opts.sdpUrl === undefined || opts.sdpAuth === undefined)
        throw new AdminError(
          'give --sdp-url and --sdp-auth (a portal of its own), or --connection <slug>',
          2,
        );
      const sdpBaseUrl = httpUrl(opts.sdpUrl, '--sdp-url');
      const sdpAuth = opts.sdpAuth;
      const stdin = opts.stdin ? await readStdinVariables(io.stdin) : undefined;
      await withContext(command, async (ctx) => {
        if (ctx.config.isProduction) requireHttps(sdpBaseUrl, '--sdp-url');
        const credentials = sdpCredentialsFrom(sdpAuth, {
          env: ctx.config.sdpCredentialEnv,
          stdin,
          flags: { clientId: opts.clientId, accountsUrl: opts.accountsUrl },
          httpsOnly: ctx.config.isProduction,
        });
        const created = await createTenant(ctx.database.db, ctx.box, {
          slug: opts.slug,
          name: opts.name,
          sdpBaseUrl,
          sdpAuthType: sdpAuth,
          sdpCredentials: credentials,
          llmModel: opts.model ?? null,
          actor: ctx.actor,
        });
        printCreated(ctx, opts, created);
      });
    });

  registerTenantSubcommands(tenant, io);
}

/** The tenant commands that have files of their own. */
function registerTenantSubcommands(tenant: Command, io: AdminIo): void {
  registerTenantInspectCommands(tenant);
  registerTenantChangeCommands(tenant);
  registerTenantCredentialsCommand(tenant, io);
  registerTenantReconcileCommand(tenant);
  registerTenantRetentionCommand(tenant);
  registerTenantRulesCommands(tenant, io);
  registerTenantExportCommand(tenant);
  registerTenantEraseCommand(tenant);
}

/** A flag kept only to refuse it with the way to pass the secret instead (refuseSecretFlags). */
function secretFlag(flags: string): Option {
  return new Option(flags).hideHelp();
}

type AddOptions = {
  slug: string;
  name: string;
  sdpUrl?: string;
  sdpAuth?: 'onprem' | 'cloud';
  connection?: string;
  sdpAccountId?: string;
  sdpAccountName?: string;
  clientId?: string;
  accountsUrl?: string;
  stdin?: boolean;
  model?: string;
};

/** SDP ids: digits, at most 20 (tenants_sdp_account_id_format). */
const ACCOUNT_ID = /^[0-9]{1,20}$/;

/**
 * `tenant add --connection <slug> [--sdp-account-id <id>]`: a tenant on an existing connection, which
 * holds the portal and the credentials; on an MSP edition it is one customer account.
 */
async function addOnConnection(opts: AddOptions, command: Command): Promise<void> {
  if (opts.sdpUrl !== undefined || opts.sdpAuth !== undefined)
    throw new AdminError(
      '--sdp-url and --sdp-auth belong to the connection: leave them out with --connection',
      2,
    );
  if (opts.sdpAccountId !== undefined && !ACCOUNT_ID.test(opts.sdpAccountId))
    throw new AdminError(`--sdp-account-id must be the account's id (digits), got "${opts.sdpAccountId}"`, 2);
  await withContext(command, async (ctx) => {
    const connection = await connectionBySlug(ctx, opts.connection ?? '');
    const created = await createTenant(ctx.database.db, ctx.box, {
      slug: opts.slug,
      name: opts.name,
      connection: { id: connection.id, edition: connection.edition },
      sdpAccountId: opts.sdpAccountId ?? null,
      sdpAccountName: opts.sdpAccountName?.trim() || null,
      llmModel: opts.model ?? null,
      actor: ctx.actor,
    });
    printCreated(ctx, opts, created, connection);
  });
}

/** The new tenant's URL, secret and Deluge function, or the refusal in words. */
function printCreated(
  ctx: AdminContext,
  opts: AddOptions,
  created: CreateTenantResult,
  connection?: ConnectionSummary,
): void {
  if (created.outcome !== 'created') throw new AdminError(refusal(opts, created.outcome, connection));
  const { tenant: row, webhookSecret } = created;
  const webhookUrl = `${ctx.config.publicBaseUrl}/v1/webhooks/servicedesk/${row.slug}`;
  const viaConnection = connection?.hasWebhookSecret ? connectionWebhookUrl(ctx, connection.slug) : null;
  ctx.print(
    [
      `Tenant ${row.slug} created (id ${row.id})${connection ? ` on connection ${connection.slug}${row.sdpAccountId ? `, account ${row.sdpAccountId}` : ''}` : ''}.`,
      ...(viaConnection ? [`Its events arrive through the connection's URL: ${viaConnection}`, ''] : []),
      `Webhook URL:    ${webhookUrl}`,
      `Webhook secret: ${webhookSecret}`,
      '(The secret is shown only now; it is stored encrypted.)',
      '',
      'Deluge custom function for the request "create" trigger (docs/webhook-and-deluge.md):',
      '',
      delugeSnippet(webhookUrl, webhookSecret),
    ].join('\n'),
    {
      id: row.id,
      slug: row.slug,
      webhook_url: webhookUrl,
      webhook_secret: webhookSecret,
      ...(connection ? { connection: connection.slug, sdp_account_id: row.sdpAccountId } : {}),
    },
  );
}

function refusal(
  opts: AddOptions,
  outcome: Exclude<CreateTenantResult['outcome'], 'created'>,
  connection?: ConnectionSummary,
): string {
  const c = connection ? `connection ${connection.slug} (${connection.edition})` : '';
  switch (outcome) {
    case 'slug_taken':
      return `a tenant with slug "${opts.slug}" already exists`;
    case 'connection_slug_taken':
      return `a connection with slug "${opts.slug}" already exists; map the tenant to it with --connection ${opts.slug}`;
    case 'account_required':
      return `${c} serves many customer accounts: give the customer's --sdp-account-id`;
    case 'account_not_allowed':
      return `${c} is a single portal with no accounts: leave out --sdp-account-id`;
    case 'account_taken':
      return opts.sdpAccountId
        ? `${c} already has a tenant for account ${opts.sdpAccountId}`
        : `${c} is a single portal and already has its tenant`;
  }
}
