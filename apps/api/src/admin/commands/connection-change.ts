import {
  replaceConnectionCredentials,
  rotateConnectionWebhookSecret,
  updateConnectionSettings,
} from '@ai-agents/db';
import { parseServiceDeskAuth } from '@ai-agents/servicedesk';
import type { Command } from 'commander';
import { type AdminContext, AdminError, type AdminIo, withContext } from '../context.js';
import { readStdinVariables, refuseSecretFlags, sdpCredentialsFrom } from '../credential-input.js';
import { checkServiceDeskAuth } from '../sdp-check.js';
import { notifyTenantChanged } from '../tenant-notify.js';
import {
  auditConnectionTenants,
  connectionBySlug,
  connectionWebhookUrl,
  webhookSetup,
} from './connection.js';
import { numberOption } from './options.js';

type CredentialOptions = { clientId?: string; accountsUrl?: string; stdin?: boolean; check: boolean };

/**
 * `connection set-credentials <slug>`: the instance's new credentials, proved first (unless
 * --no-check) and then stored once for every tenant of the connection: the workers rebuild its one
 * client on their next job (updated_at moves), so a rotated key or refresh token reaches all at once.
 */
async function setCredentials(io: AdminIo, slug: string, opts: CredentialOptions, command: Command) {
  refuseSecretFlags(opts);
  const stdin = opts.stdin ? await readStdinVariables(io.stdin) : undefined;
  await withContext(command, async (ctx) => {
    const c = await connectionBySlug(ctx, slug);
    const credentials = sdpCredentialsFrom(c.sdpAuthType, {
      env: ctx.config.sdpCredentialEnv,
      stdin,
      flags: { clientId: opts.clientId, accountsUrl: opts.accountsUrl },
      httpsOnly: ctx.config.isProduction,
    });
    if (opts.check) {
      const auth = parseServiceDeskAuth(JSON.stringify(credentials));
      const result = await checkServiceDeskAuth(
        c.sdpBaseUrl,
        auth,
        ctx.config.sdpTimeoutMs,
        ctx.config.isProduction,
      );
      if (!result.ok)
        throw new AdminError(`the new credentials of ${slug} were not saved: ${result.message}`);
    }
    const scope = { db: ctx.database.db, connectionId: c.id };
    const replaced = await replaceConnectionCredentials(scope, ctx.box, {
      authType: c.sdpAuthType,
      credentials,
      checked: opts.check,
    });
    if (!replaced) throw new AdminError(`no connection with slug "${slug}" (see: connection list)`);
    await auditConnectionTenants(ctx, c, 'connection.sdp_credentials_replaced', { checked: opts.check });
    ctx.print(
      `ServiceDesk Plus credentials of connection ${slug} replaced for its ${c.tenants} tenant(s); ${opts.check ? 'checked: OK' : 'not checked (--no-check)'}.`,
      { slug, sdp_auth: c.sdpAuthType, tenants: c.tenants, checked: opts.check },
    );
  });
}

/** `connection rotate-webhook-secret <slug>`: a new secret for the connection's URL, printed once. */
async function rotateSecret(slug: string, opts: { force?: boolean }, command: Command) {
  await withContext(command, async (ctx) => {
    const c = await connectionBySlug(ctx, slug);
    const result = await rotateConnectionWebhookSecret(
      { db: ctx.database.db, connectionId: c.id },
      ctx.box,
      opts,
    );
    if (result.outcome === 'not_found') throw new AdminError(`no connection with slug "${slug}"`);
    if (result.outcome === 'rotation_in_progress')
      throw new AdminError(
        `connection ${slug} still accepts its previous secret from an earlier rotation; pass --force once ServiceDesk Plus uses the current one`,
      );
    await notifyTenantChanged(ctx, slug);
    await auditConnectionTenants(ctx, c, 'connection.webhook_secret_rotated', { first: !c.hasWebhookSecret });
    const webhookUrl = connectionWebhookUrl(ctx, slug);
    ctx.print(
      [
        `New webhook secret of connection ${slug}: ${result.webhookSecret}`,
        c.hasWebhookSecret
          ? '(The previous secret stays accepted until the next rotation with --force.)'
          : '',
        `Webhook URL: ${webhookUrl}`,
        '',
        ...webhookSetup(webhookUrl, result.webhookSecret, c.edition),
      ].join('\n'),
      { slug, webhook_url: webhookUrl, webhook_secret: result.webhookSecret },
    );
  });
}

/** `connection set <slug>`: token mode and the instance's SDP call budget. */
async function setConnection(
  slug: string,
  opts: { tokenMode?: string; sdpRateLimit?: string },
  command: Command,
): Promise<void> {
  if (opts.tokenMode !== undefined && opts.tokenMode !== 'on' && opts.tokenMode !== 'off')
    throw new AdminError(`--token-mode must be on or off, got "${opts.tokenMode}"`, 2);
  const settings = {
    webhookTokenEnabled: opts.tokenMode === undefined ? undefined : opts.tokenMode === 'on',
    sdpRateLimitPerMinute:
      opts.sdpRateLimit === undefined
        ? undefined
        : opts.sdpRateLimit === 'default'
          ? null
          : numberOption(opts.sdpRateLimit, '--sdp-rate-limit', 1, 1_000_000, true),
  };
  if (settings.webhookTokenEnabled === undefined && settings.sdpRateLimitPerMinute === undefined)
    throw new AdminError('nothing to change: give --token-mode or --sdp-rate-limit', 2);
  await withContext(command, async (ctx: AdminContext) => {
    const c = await connectionBySlug(ctx, slug);
    const changes = await updateConnectionSettings({ db: ctx.database.db, connectionId: c.id }, settings);
    if (!changes) throw new AdminError(`no connection with slug "${slug}"`);
    const changed = Object.keys(changes);
    if (changed.length > 0) {
      await notifyTenantChanged(ctx, slug);
      await auditConnectionTenants(ctx, c, 'connection.updated', changes);
    }
    ctx.print(
      changed.length > 0
        ? `Connection ${slug} updated: ${changed.join(', ')}.`
        : `Connection ${slug} already had these settings.`,
      { slug, changed },
    );
  });
}

export function registerConnectionChangeCommands(connection: Command, io: AdminIo): void {
  connection
    .command('set-credentials <slug>')
    .description("replace the instance's ServiceDesk Plus credentials for all its tenants; checked first")
    .option('--client-id <id>', 'Cloud OAuth client id (or SDP_CLIENT_ID)')
    .option('--accounts-url <url>', 'Cloud accounts server (or SDP_ACCOUNTS_URL)')
    .option('--stdin', 'read the secrets from standard input as NAME=value lines')
    .option('--no-check', 'save without proving them against ServiceDesk Plus first')
    .action((slug: string, opts: CredentialOptions, command: Command) =>
      setCredentials(io, slug, opts, command),
    );
  connection
    .command('rotate-webhook-secret <slug>')
    .description("new secret of the connection's webhook URL (the first one gives it its URL)")
    .option('--force', 'rotate although the previous rotation is unfinished')
    .action(rotateSecret);
  connection
    .command('set <slug>')
    .description("change a connection's token mode or ServiceDesk Plus call budget")
    .option('--token-mode <on|off>', 'accept X-Webhook-Token deliveries (native webhooks, which cannot sign)')
    .option('--sdp-rate-limit <n|default>', 'ServiceDesk Plus calls per minute for the instance')
    .action(setConnection);
}
