import { replaceSdpCredentials } from '@ai-agents/db';
import { parseServiceDeskAuth } from '@ai-agents/servicedesk';
import { type Command, Option } from 'commander';
import { type AdminContext, AdminError, type AdminIo, tenantBySlug, withContext } from '../context.js';
import { readStdinVariables, refuseSecretFlags, sdpCredentialsFrom } from '../credential-input.js';
import { checkServiceDeskAuth } from '../sdp-check.js';

// A type, not an interface: refuseSecretFlags reads it as a record of every flag given.
type Options = {
  sdpAuth?: 'onprem' | 'cloud';
  clientId?: string;
  accountsUrl?: string;
  stdin?: boolean;
  check: boolean;
  timeout?: string;
};

type StdinVariables = Awaited<ReturnType<typeof readStdinVariables>>;

const SECRETS_HELP = [
  '',
  'Secrets never come from flags (they show in ps and shell history). Either set them in the',
  'environment, or pipe them in with --stdin as NAME=value lines:',
  '  SDP_TECHNICIAN_KEY=…                        (--sdp-auth onprem)',
  '  SDP_CLIENT_ID=…  SDP_CLIENT_SECRET=…  SDP_REFRESH_TOKEN=…  SDP_ACCOUNTS_URL=…   (cloud)',
  'e.g.  pass show sdp/contoso | npm run admin -- tenant set-credentials contoso --stdin',
].join('\n');

function timeoutFrom(opts: Options): number | undefined {
  const timeout = opts.timeout === undefined ? undefined : Number(opts.timeout);
  if (timeout !== undefined && !(Number.isInteger(timeout) && timeout > 0))
    throw new AdminError(`--timeout must be a positive number of milliseconds, got "${opts.timeout}"`, 2);
  return timeout;
}

/** Reads the new credentials, proves them unless --no-check, and only then replaces the stored ones. */
async function replaceCredentials(
  ctx: AdminContext,
  slug: string,
  opts: Options,
  input: { stdin: StdinVariables | undefined; timeout: number | undefined },
): Promise<void> {
  const t = await tenantBySlug(ctx, slug);
  const mode = opts.sdpAuth ?? t.sdpAuthType;
  const credentials = sdpCredentialsFrom(mode, {
    env: ctx.config.sdpCredentialEnv,
    stdin: input.stdin,
    flags: { clientId: opts.clientId, accountsUrl: opts.accountsUrl },
    httpsOnly: ctx.config.isProduction,
  });
  if (opts.check) {
    const auth = parseServiceDeskAuth(JSON.stringify(credentials));
    const result = await checkServiceDeskAuth(
      t.sdpBaseUrl,
      auth,
      input.timeout ?? ctx.config.sdpTimeoutMs,
      ctx.config.isProduction,
    );
    if (!result.ok) throw new AdminError(`the new credentials of ${slug} were not saved: ${result.message}`);
  }
  const replaced = await replaceSdpCredentials(
    { db: ctx.database.db, tenantId: t.id },
    ctx.box,
    { authType: mode, credentials, checked: opts.check },
    ctx.actor,
  );
  if (!replaced) throw new AdminError(`no tenant with slug "${slug}" (see: tenant list)`);
  ctx.print(
    `ServiceDesk Plus credentials of ${slug} replaced (${mode}${replaced.previousAuthType !== mode ? `, was ${replaced.previousAuthType}` : ''}); ${opts.check ? 'checked: OK' : 'not checked (--no-check)'}.`,
    { slug, sdp_auth: mode, checked: opts.check },
  );
}

/** `tenant set-credentials <slug>`: the flags and standard input are read before any connection. */
async function setCredentials(io: AdminIo, slug: string, opts: Options, command: Command): Promise<void> {
  refuseSecretFlags(opts);
  const timeout = timeoutFrom(opts);
  const stdin = opts.stdin ? await readStdinVariables(io.stdin) : undefined;
  await withContext(command, (ctx) => replaceCredentials(ctx, slug, opts, { stdin, timeout }));
}

/**
 * `tenant set-credentials <slug>`: replaces a tenant's ServiceDesk Plus credentials (a new
 * technician key, a new OAuth client or refresh token, another data centre) after proving them with
 * the same read as `tenant check`, so a typo cannot stop the tenant's notes. Secrets come from the
 * environment or standard input only (credential-input.ts); the audit entry holds no value.
 */
export function registerTenantCredentialsCommand(tenant: Command, io: AdminIo): void {
  tenant
    .command('set-credentials <slug>')
    .description(
      "replace a tenant's ServiceDesk Plus credentials; checked like tenant check before they are saved",
    )
    .addOption(
      new Option('--sdp-auth <mode>', 'ServiceDesk Plus authentication (default: the current one)').choices([
        'onprem',
        'cloud',
      ]),
    )
    .option('--client-id <id>', 'Cloud OAuth client id (or SDP_CLIENT_ID)')
    .option(
      '--accounts-url <url>',
      'Cloud accounts server, e.g. https://accounts.zoho.eu (or SDP_ACCOUNTS_URL)',
    )
    .option('--stdin', 'read the secrets from standard input as NAME=value lines')
    .option('--no-check', 'save without proving them against ServiceDesk Plus first')
    .option('--timeout <ms>', 'time limit of the check (default SDP_TIMEOUT_MS)')
    .addOption(new Option('--technician-key <key>').hideHelp())
    .addOption(new Option('--client-secret <secret>').hideHelp())
    .addOption(new Option('--refresh-token <token>').hideHelp())
    .addHelpText('after', SECRETS_HELP)
    .action((slug: string, opts: Options, command: Command) => setCredentials(io, slug, opts, command));
}
