import { createTenant } from '@ai-agents/db';
import { type Command, Option } from 'commander';
import { AdminError, withContext } from '../context.js';
import { delugeSnippet } from '../deluge-snippet.js';
import { httpUrl, SLUG } from './options.js';
import { registerTenantChangeCommands } from './tenant-change.js';
import { registerTenantInspectCommands } from './tenant-inspect.js';

export function registerTenantCommands(program: Command): void {
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
    .option('--technician-key <key>', 'on-prem technician API key (or env SDP_TECHNICIAN_KEY)')
    .option('--client-id <id>', 'Cloud OAuth client id')
    .option('--client-secret <secret>', 'Cloud OAuth client secret (or env SDP_CLIENT_SECRET)')
    .option('--refresh-token <token>', 'Cloud OAuth refresh token (or env SDP_REFRESH_TOKEN)')
    .option(
      '--accounts-url <url>',
      'Cloud accounts server of the data centre (e.g. https://accounts.zoho.eu)',
    )
    .option('--model <model>', 'LLM model for this tenant (default: the installation default)')
    .action(async (opts, command: Command) => {
      if (!SLUG.test(opts.slug)) throw new AdminError(`--slug must match ${SLUG}, got "${opts.slug}"`, 2);
      const sdpBaseUrl = httpUrl(opts.sdpUrl, '--sdp-url');
      const credentials =
        opts.sdpAuth === 'onprem'
          ? {
              type: 'onprem',
              technicianKey: required(
                opts.technicianKey ?? process.env.SDP_TECHNICIAN_KEY,
                '--technician-key',
              ),
            }
          : {
              type: 'cloud',
              clientId: required(opts.clientId, '--client-id'),
              clientSecret: required(opts.clientSecret ?? process.env.SDP_CLIENT_SECRET, '--client-secret'),
              refreshToken: required(opts.refreshToken ?? process.env.SDP_REFRESH_TOKEN, '--refresh-token'),
              accountsUrl: httpUrl(required(opts.accountsUrl, '--accounts-url'), '--accounts-url'),
            };
      await withContext(command, async (ctx) => {
        const { tenant: row, webhookSecret } = await createTenant(ctx.database.db, ctx.box, {
          slug: opts.slug,
          name: opts.name,
          sdpBaseUrl,
          sdpAuthType: opts.sdpAuth,
          sdpCredentials: credentials,
          llmModel: opts.model ?? null,
          actor: ctx.actor,
        }).catch((error: unknown) => {
          if ((error as { cause?: { code?: string } }).cause?.code === '23505') {
            throw new AdminError(`a tenant with slug "${opts.slug}" already exists`);
          }
          throw error;
        });
        const webhookUrl = `${ctx.config.publicBaseUrl}/v1/webhooks/servicedesk/${row.slug}`;
        ctx.print(
          [
            `Tenant ${row.slug} created (id ${row.id}).`,
            `Webhook URL:    ${webhookUrl}`,
            `Webhook secret: ${webhookSecret}`,
            '(The secret is shown only now; it is stored encrypted.)',
            '',
            'Deluge custom function for the request "create" trigger:',
            '',
            delugeSnippet(webhookUrl, webhookSecret),
          ].join('\n'),
          { id: row.id, slug: row.slug, webhook_url: webhookUrl, webhook_secret: webhookSecret },
        );
      });
    });

  registerTenantInspectCommands(tenant);
  registerTenantChangeCommands(tenant);
}

function required(value: string | undefined, flag: string): string {
  if (!value) throw new AdminError(`${flag} is required for this --sdp-auth mode`, 2);
  return value;
}
