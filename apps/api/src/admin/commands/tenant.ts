import { createTenant } from '@ai-agents/db';
import { type Command, Option } from 'commander';
import { AdminError, type AdminIo, withContext } from '../context.js';
import { readStdinVariables, refuseSecretFlags, sdpCredentialsFrom } from '../credential-input.js';
import { delugeSnippet } from '../deluge-snippet.js';
import { httpUrl, requireHttps, SLUG } from './options.js';
import { registerTenantChangeCommands } from './tenant-change.js';
import { registerTenantCredentialsCommand } from './tenant-credentials.js';
import { registerTenantEraseCommand } from './tenant-erase.js';
import { registerTenantExportCommand } from './tenant-export.js';
import { registerTenantInspectCommands } from './tenant-inspect.js';
import { registerTenantReconcileCommand } from './tenant-reconcile.js';
import { registerTenantRetentionCommand } from './tenant-retention.js';

export function registerTenantCommands(program: Command, io: AdminIo): void {
  const tenant = program.command('tenant').description('manage tenants (client companies)');

  tenant
    .command('add')
    .description('create a tenant; prints its webhook URL, its new webhook secret and the Deluge snippet')
    .requiredOption('--slug <slug>', 'URL-safe id: lower-case letters, digits and -')
    .requiredOption('--name <name>', 'display name of the client company')
    .requiredOption('--sdp-url <url>', 'ServiceDesk Plus base URL (e.g. https://sdp.client.example)')
    .addOption(
      new Option('--sdp-auth <mode>', 'ServiceDesk Plus authentication')
        .choices(['onprem', 'cloud'])
        .makeOptionMandatory(),
    )
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
    .action(async (opts, command: Command) => {
      if (!SLUG.test(opts.slug)) throw new AdminError(`--slug must match ${SLUG}, got "${opts.slug}"`, 2);
      refuseSecretFlags(opts);
      const sdpBaseUrl = httpUrl(opts.sdpUrl, '--sdp-url');
      const stdin = opts.stdin ? await readStdinVariables(io.stdin) : undefined;
      await withContext(command, async (ctx) => {
        if (ctx.config.isProduction) requireHttps(sdpBaseUrl, '--sdp-url');
        const credentials = sdpCredentialsFrom(opts.sdpAuth, {
          env: ctx.config.sdpCredentialEnv,
          stdin,
          flags: { clientId: opts.clientId, accountsUrl: opts.accountsUrl },
          httpsOnly: ctx.config.isProduction,
        });
        const created = await createTenant(ctx.database.db, ctx.box, {
          slug: opts.slug,
          name: opts.name,
          sdpBaseUrl,
          sdpAuthType: opts.sdpAuth,
          sdpCredentials: credentials,
          llmModel: opts.model ?? null,
          actor: ctx.actor,
        });
        if (created.outcome === 'slug_taken')
          throw new AdminError(`a tenant with slug "${opts.slug}" already exists`);
        if (created.outcome !== 'created')
          throw new AdminError(
            `a connection with slug "${opts.slug}" already exists; map the tenant to it with --connection`,
          );
        const { tenant: row, webhookSecret } = created;
        const webhookUrl = `${ctx.config.publicBaseUrl}/v1/webhooks/servicedesk/${row.slug}`;
        ctx.print(
          [
            `Tenant ${row.slug} created (id ${row.id}).`,
            `Webhook URL:    ${webhookUrl}`,
            `Webhook secret: ${webhookSecret}`,
            '(The secret is shown only now; it is stored encrypted.)',
            '',
            'Deluge custom function for the request "create" trigger (docs/webhook-and-deluge.md):',
            '',
            delugeSnippet(webhookUrl, webhookSecret),
          ].join('\n'),
          { id: row.id, slug: row.slug, webhook_url: webhookUrl, webhook_secret: webhookSecret },
        );
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
  registerTenantExportCommand(tenant);
  registerTenantEraseCommand(tenant);
}

/** A flag kept only to refuse it with the way to pass the secret instead (refuseSecretFlags). */
function secretFlag(flags: string): Option {
  return new Option(flags).hideHelp();
}
