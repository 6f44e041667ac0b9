import {
  CONNECTION_EDITIONS,
  type ConnectionEdition,
  type ConnectionSummary,
  createConnection,
  findConnectionBySlug,
  isMspEdition,
  listConnections,
  listTenants,
  recordAudit,
} from '@ai-agents/db';
import { type Command, Option } from 'commander';
import { type AdminContext, AdminError, type AdminIo, withContext } from '../context.js';
import { readStdinVariables, refuseSecretFlags, sdpCredentialsFrom } from '../credential-input.js';
import { delugeSnippet, webhookPayloadTemplate } from '../deluge-snippet.js';
import { registerConnectionAccountsCommands } from './connection-accounts.js';
import { registerConnectionChangeCommands } from './connection-change.js';
import { httpUrl, requireHttps, SLUG } from './options.js';

type AddOptions = {
  slug: string;
  name: string;
  sdpUrl: string;
  sdpAuth: 'onprem' | 'cloud';
  edition: ConnectionEdition;
  clientId?: string;
  accountsUrl?: string;
  stdin?: boolean;
};

/** The connection named on the command line, or the error every command gives for an unknown slug. */
export async function connectionBySlug(ctx: AdminContext, slug: string): Promise<ConnectionSummary> {
  const connection = await findConnectionBySlug(ctx.database.db, slug);
  if (!connection) throw new AdminError(`no connection with slug "${slug}" (see: connection list)`);
  return connection;
}

export const connectionWebhookUrl = (ctx: AdminContext, slug: string) =>
  `${ctx.config.publicBaseUrl}/v1/webhooks/servicedesk/connections/${slug}`;

/**
 * Records a change of the connection in the audit trail of each of its tenants (the audit log is per
 * tenant, under row-level security): what changed, never a value.
 */
export async function auditConnectionTenants(
  ctx: AdminContext,
  connection: ConnectionSummary,
  action: string,
  details: Record<string, unknown> = {},
): Promise<void> {
  for (const t of await listTenants(ctx.database.db)) {
    if (t.connectionId !== connection.id) continue;
    await recordAudit(
      { db: ctx.database.db, tenantId: t.id },
      { actor: ctx.actor, action, details: { connection: connection.slug, ...details } },
    );
  }
}

/** What to set up in ServiceDesk Plus for the connection's URL: the Deluge function or the webhook body. */
export function webhookSetup(webhookUrl: string, secret: string, edition: ConnectionEdition): string[] {
  return [
    'Deluge custom function for the request "create" trigger (docs/webhook-and-deluge.md):',
    '',
    delugeSnippet(webhookUrl, secret, { account: isMspEdition(edition) }),
    '',
    'Or a native webhook (Admin > Integrations > Webhooks), which cannot sign: after',
    '"connection set <slug> --token-mode on", header X-Webhook-Token: <the secret>, and this body:',
    webhookPayloadTemplate(),
  ];
}

/** `connection add`: the secrets are read before any connection, as `tenant add` does. */
async function addConnection(io: AdminIo, opts: AddOptions, command: Command): Promise<void> {
  if (!SLUG.test(opts.slug)) throw new AdminError(`--slug must match ${SLUG}, got "${opts.slug}"`, 2);
  refuseSecretFlags(opts);
  const onPremises = opts.edition === 'onprem' || opts.edition === 'msp-onprem';
  if (onPremises !== (opts.sdpAuth === 'onprem'))
    throw new AdminError(`--edition ${opts.edition} takes --sdp-auth ${onPremises ? 'onprem' : 'cloud'}`, 2);
  const sdpBaseUrl = httpUrl(opts.sdpUrl, '--sdp-url');
  const stdin = opts.stdin ? await readStdinVariables(io.stdin) : undefined;
  await withContext(command, async (ctx) => {
    if (ctx.config.isProduction) requireHttps(sdpBaseUrl, '--sdp-url');
    const sdpCredentials = sdpCredentialsFrom(opts.sdpAuth, {
      env: ctx.config.sdpCredentialEnv,
      stdin,
      flags: { clientId: opts.clientId, accountsUrl: opts.accountsUrl },
      httpsOnly: ctx.config.isProduction,
    });
    const input = { slug: opts.slug, name: opts.name, edition: opts.edition, sdpBaseUrl, sdpCredentials };
    const created = await createConnection(ctx.database.db, ctx.box, input);
    if (created.outcome !== 'created')
      throw new AdminError(`a connection with slug "${opts.slug}" already exists`);
    const { connection, webhookSecret } = created;
    const webhookUrl = connectionWebhookUrl(ctx, connection.slug);
    ctx.print(
      [
        `Connection ${connection.slug} created (${connection.edition}, id ${connection.id}).`,
        `Webhook URL:    ${webhookUrl}`,
        `Webhook secret: ${webhookSecret}`,
        '(The secret is shown only now; it is stored encrypted.)',
        isMspEdition(connection.edition)
          ? `Map each customer: tenant add --connection ${connection.slug} --sdp-account-id <id> --slug … --name …`
          : `Add its tenant: tenant add --connection ${connection.slug} --slug … --name …`,
        '',
        ...webhookSetup(webhookUrl, webhookSecret, connection.edition),
      ].join('\n'),
      {
        id: connection.id,
        slug: connection.slug,
        edition: connection.edition,
        webhook_url: webhookUrl,
        webhook_secret: webhookSecret,
      },
    );
  });
}

/** A connection as printed by list/show: settings only, never a secret. */
function connectionJson(ctx: AdminContext, c: ConnectionSummary) {
  return {
    id: c.id,
    slug: c.slug,
    name: c.name,
    edition: c.edition,
    sdp_url: c.sdpBaseUrl,
    sdp_auth: c.sdpAuthType,
    tenants: c.tenants,
    webhook_url: c.hasWebhookSecret ? connectionWebhookUrl(ctx, c.slug) : null,
    token_mode: c.webhookTokenEnabled,
    rotating_secret: c.rotatingWebhookSecret,
    sdp_rate_limit_per_minute: c.sdpRateLimitPerMinute,
    created_at: c.createdAt.toISOString(),
    updated_at: c.updatedAt.toISOString(),
  };
}

/** `connection list`. */
async function listAll(_opts: unknown, command: Command): Promise<void> {
  await withContext(command, async (ctx) => {
    const all = await listConnections(ctx.database.db);
    const rows = all.map(
      (c) =>
        `${c.slug.padEnd(24)} ${c.edition.padEnd(10)} ${String(c.tenants).padStart(4)} tenant(s)  ${c.sdpBaseUrl}  ${c.name}`,
    );
    ctx.print(
      all.length === 0 ? 'No connections yet (add one: connection add --help).' : rows.join('\n'),
      all.map((c) => connectionJson(ctx, c)),
    );
  });
}

/** `connection show <slug>`: settings, its tenants and their accounts, and its webhook set-up. */
async function showOne(slug: string, _opts: unknown, command: Command): Promise<void> {
  await withContext(command, async (ctx) => {
    const c = await connectionBySlug(ctx, slug);
    const tenants = (await listTenants(ctx.database.db)).filter((t) => t.connectionId === c.id);
    const webhookUrl = c.hasWebhookSecret ? connectionWebhookUrl(ctx, c.slug) : null;
    ctx.print(
      [
        `Connection ${c.slug} (${c.name}), id ${c.id}`,
        `  edition:         ${c.edition}`,
        `  ServiceDesk:     ${c.sdpBaseUrl} (${c.sdpAuthType})`,
        `  SDP budget:      ${c.sdpRateLimitPerMinute ?? '(installation default)'} calls/minute`,
        `  webhook URL:     ${webhookUrl ?? '(none: connection rotate-webhook-secret makes one; its tenants use their own URLs)'}`,
        `  token mode:      ${c.webhookTokenEnabled ? 'on' : 'off'}`,
        `  secret rotation: ${c.rotatingWebhookSecret ? 'in progress (previous secret still accepted)' : 'none'}`,
        `  tenants (${tenants.length}):`,
        ...tenants.map((t) =>
          `    ${t.slug.padEnd(24)} ${t.sdpAccountId ? `account ${t.sdpAccountId}` : '(single portal)'} ${t.sdpAccountName ?? ''}`.trimEnd(),
        ),
        ...(webhookUrl ? ['', 'Webhook body template (token mode):', webhookPayloadTemplate()] : []),
      ].join('\n'),
      {
        ...connectionJson(ctx, c),
        tenant_list: tenants.map((t) => ({
          slug: t.slug,
          sdp_account_id: t.sdpAccountId,
          sdp_account_name: t.sdpAccountName,
        })),
      },
    );
  });
}

/**
 * `connection …`: one ServiceDesk Plus instance (issue 25) and what belongs to it (credentials, its
 * webhook URL and secret, its SDP budget); its customers are tenants (`tenant add --connection`).
 */
export function registerConnectionCommands(program: Command, io: AdminIo): void {
  const connection = program
    .command('connection')
    .description('manage connections (ServiceDesk Plus instances; an MSP instance serves many tenants)');
  connection
    .command('add')
    .description(
      'create a connection; prints its webhook URL, its new webhook secret and the Deluge function',
    )
    .requiredOption('--slug <slug>', 'URL-safe id: lower-case letters, digits and -')
    .requiredOption('--name <name>', 'display name of the instance')
    .requiredOption('--sdp-url <url>', 'ServiceDesk Plus base URL')
    .addOption(
      new Option('--sdp-auth <mode>', 'ServiceDesk Plus authentication')
        .choices(['onprem', 'cloud'])
        .makeOptionMandatory(),
    )
    .addOption(
      new Option('--edition <edition>', 'ServiceDesk Plus edition')
        .choices([...CONNECTION_EDITIONS])
        .makeOptionMandatory(),
    )
    .option('--client-id <id>', 'Cloud OAuth client id (or SDP_CLIENT_ID)')
    .option('--accounts-url <url>', 'Cloud accounts server of the data centre (or SDP_ACCOUNTS_URL)')
    .option(
      '--stdin',
      'read the secrets from standard input as NAME=value lines (see tenant set-credentials)',
    )
    .addOption(new Option('--technician-key <key>').hideHelp())
    .addOption(new Option('--client-secret <secret>').hideHelp())
    .addOption(new Option('--refresh-token <token>').hideHelp())
    .addHelpText(
      'after',
      '\nSecrets come from the environment (SDP_TECHNICIAN_KEY; SDP_CLIENT_SECRET and SDP_REFRESH_TOKEN)\nor, with --stdin, from standard input; never from flags.',
    )
    .action((opts: AddOptions, command: Command) => addConnection(io, opts, command));
  connection.command('list').description('list connections').action(listAll);
  connection
    .command('show <slug>')
    .description("a connection's settings, tenants and webhook set-up")
    .action(showOne);
  registerConnectionChangeCommands(connection, io);
  registerConnectionAccountsCommands(connection);
}
