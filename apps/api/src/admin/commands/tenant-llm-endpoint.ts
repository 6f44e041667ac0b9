import {
  type LlmEndpointResult,
  loadTenant,
  rotateTenantLlmKey,
  setTenantLlmEndpoint,
  type TenantSummary,
  tenantLlmApiKey,
} from '@ai-agents/db';
import { type LlmEndpoint, llmEndpointOf, llmEndpointProblem, llmKeyMayFollow } from '@ai-agents/shared';
import { type Command, Option } from 'commander';
import { type AdminContext, AdminError } from '../context.js';
import { checkLlmEndpoint, type LlmCheck, llmCheckLine } from '../llm-check.js';
import { httpUrl, numberOption } from './options.js';

/**
 * The model endpoint part of `tenant llm <slug>`: which server writes the tenant's notes (OpenAI,
 * Azure OpenAI, any OpenAI-compatible server, or the installation's), with which key. The key comes
 * from TENANT_LLM_API_KEY in the environment or, with --stdin, a `TENANT_LLM_API_KEY=…` line on
 * standard input (as `tenant add` takes ServiceDesk Plus secrets: credential-input.ts), never a flag.
 */
export interface EndpointOptions {
  endpoint?: string;
  baseUrl?: string;
  azureDeployment?: string;
  azureApiVersion?: string;
  rotateKey?: boolean;
  stdin?: boolean;
  check: boolean;
  timeout: string;
  apiKey?: string;
}

export const KEY_VARIABLE = 'TENANT_LLM_API_KEY';

export type EndpointChange = { kind: 'set'; endpoint: LlmEndpoint | null } | { kind: 'rotate' };

// Azure's deployment names: letters, digits, '-', '_', '.', at most 64; api-version is a date,
// e.g. 2024-10-21 or 2025-04-01-preview (learn.microsoft.com/azure/ai-services/openai/reference).
const AZURE_DEPLOYMENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const AZURE_API_VERSION = /^\d{4}-\d{2}-\d{2}(-preview)?$/;
// The worker asks with structured outputs (response_format json_schema, "first added in API version
// 2024-08-01-preview", Azure OpenAI "Structured outputs" how-to) and max_completion_tokens (added in
// 2024-09-01-preview, Azure OpenAI "API preview lifecycle"); 2024-10-21 is the first GA version with both.
const AZURE_OLDEST_API_VERSION = '2024-09-01';

export function addEndpointOptions(command: Command): Command {
  return command
    .addOption(
      new Option('--endpoint <kind>', "the model endpoint; default: back to the installation's").choices([
        'openai',
        'azure',
        'compatible',
        'default',
      ]),
    )
    .option(
      '--base-url <url>',
      'openai: optional (e.g. a regional host); azure: https://<resource>.openai.azure.com; compatible: the server /v1 URL',
    )
    .option('--azure-deployment <name>', 'azure: the deployment that serves the notes')
    .option('--azure-api-version <version>', 'azure: the api-version, e.g. 2024-10-21')
    .option('--rotate-key', `replace the key of the tenant's own endpoint (from ${KEY_VARIABLE} or --stdin)`)
    .option('--stdin', `read the key from standard input as a ${KEY_VARIABLE}=… line`)
    .option('--no-check', 'save the endpoint or key without one call to it first')
    .option('--timeout <ms>', 'time limit of that call', '15000')
    .addOption(new Option('--api-key <key>').hideHelp());
}

function refuse(message: string): never {
  throw new AdminError(message, 2);
}

function azureFrom(opts: EndpointOptions, baseUrl: string | undefined): LlmEndpoint {
  const { azureDeployment: deployment, azureApiVersion: apiVersion } = opts;
  if (baseUrl === undefined) refuse('--endpoint azure needs --base-url https://<resource>.openai.azure.com');
  if (deployment === undefined || !AZURE_DEPLOYMENT.test(deployment))
    refuse('--endpoint azure needs --azure-deployment <name> (letters, digits, - _ ., at most 64)');
  if (apiVersion === undefined || !AZURE_API_VERSION.test(apiVersion))
    refuse('--endpoint azure needs --azure-api-version YYYY-MM-DD or YYYY-MM-DD-preview');
  if (apiVersion.slice(0, 10) < AZURE_OLDEST_API_VERSION)
    refuse(
      `--azure-api-version ${apiVersion} is older than the worker's calls need: ${AZURE_OLDEST_API_VERSION}-preview or later, e.g. 2024-10-21`,
    );
  return { kind: 'azure', baseUrl, deployment, apiVersion };
}

/** The change the flags ask for, or null; a usage error (exit 2) for flags that do not fit together. */
export function endpointChangeFrom(opts: EndpointOptions): EndpointChange | null {
  if (opts.apiKey !== undefined)
    refuse(
      `--api-key is not accepted: a key on the command line shows in ps and shell history; set ${KEY_VARIABLE} or pass it with --stdin`,
    );
  const azureFlags = opts.azureDeployment !== undefined || opts.azureApiVersion !== undefined;
  if (opts.rotateKey) {
    if (opts.endpoint !== undefined || opts.baseUrl !== undefined || azureFlags)
      refuse('--rotate-key replaces the key only; change the endpoint with --endpoint');
    return { kind: 'rotate' };
  }
  if (opts.endpoint === undefined) {
    if (opts.baseUrl !== undefined || azureFlags) refuse('--base-url and --azure-* go with --endpoint');
    return null;
  }
  const baseUrl = opts.baseUrl === undefined ? undefined : httpUrl(opts.baseUrl, '--base-url');
  if (azureFlags && opts.endpoint !== 'azure')
    refuse('--azure-deployment and --azure-api-version go with --endpoint azure');
  switch (opts.endpoint) {
    case 'default':
      if (baseUrl !== undefined) refuse("--endpoint default takes no --base-url: it is the installation's");
      return { kind: 'set', endpoint: null };
    case 'azure':
      return { kind: 'set', endpoint: azureFrom(opts, baseUrl) };
    case 'compatible':
      if (baseUrl === undefined) refuse('--endpoint compatible needs --base-url (the server /v1 URL)');
      return { kind: 'set', endpoint: { kind: 'compatible', baseUrl } };
    default:
      return { kind: 'set', endpoint: { kind: 'openai', baseUrl: baseUrl ?? null } };
  }
}

interface ChangeInput {
  change: EndpointChange;
  /** From standard input or the environment; undefined: none given. */
  apiKey: string | undefined;
  /** The model the notes will be asked of: --model, else the tenant's. */
  model: string | null;
  check: boolean;
  timeout: string;
}

/** Before saving: the endpoint must be allowed here, and (unless --no-check) answer one call. */
async function proveFirst(ctx: AdminContext, endpoint: LlmEndpoint, key: string | null, input: ChangeInput) {
  const problem = llmEndpointProblem(endpoint, ctx.config.isProduction);
  if (problem !== null) throw new AdminError(problem, 2);
  if (!input.check || key === null) return null;
  const timeoutMs = numberOption(input.timeout, '--timeout', 100, 120_000, true);
  const check = await checkLlmEndpoint(endpoint, key, input.model, {
    timeoutMs,
    requireHttps: ctx.config.isProduction,
  });
  if (check.ok === false)
    throw new AdminError(`not saved: ${llmCheckLine(check)}; fix it, or save anyway with --no-check`);
  return check;
}

/**
 * The key a change would use: the new one, else the stored one where it may follow (llmKeyMayFollow);
 * null: none, and setTenantLlmEndpoint then asks for one.
 */
async function keyFor(
  ctx: AdminContext,
  t: TenantSummary,
  endpoint: LlmEndpoint,
  input: ChangeInput,
): Promise<string | null> {
  if (input.apiKey !== undefined) return input.apiKey;
  const row = await loadTenant({ db: ctx.database.db, tenantId: t.id });
  if (!row || !llmKeyMayFollow(llmEndpointOf(row), endpoint)) return null;
  return tenantLlmApiKey(ctx.box, row);
}

function outcome(slug: string, result: LlmEndpointResult): string {
  switch (result.status) {
    case 'changed':
      return result.from === result.to
        ? `key of ${result.to} replaced`
        : `endpoint ${result.from} → ${result.to}`;
    case 'unchanged':
      return `endpoint already ${result.endpoint}`;
    case 'no_tenant':
      throw new AdminError(`no tenant with slug "${slug}"`);
    case 'key_required':
      throw new AdminError(
        `a new endpoint needs its key: set ${KEY_VARIABLE} or pass it with --stdin (the stored key is sent only to the endpoint it was given for)`,
        2,
      );
    case 'no_own_endpoint':
      throw new AdminError(
        `${slug} uses the installation's endpoint: there is no key of its own to rotate`,
        2,
      );
  }
}

/** Applies the endpoint change; returns what to print and the check that was made, if any. */
export async function applyEndpointChange(
  ctx: AdminContext,
  t: TenantSummary,
  input: ChangeInput,
): Promise<{ summary: string; check: LlmCheck | null }> {
  const scope = { db: ctx.database.db, tenantId: t.id };
  const { change } = input;
  if (change.kind === 'rotate') {
    if (input.apiKey === undefined)
      throw new AdminError(`--rotate-key needs the new key: set ${KEY_VARIABLE} or pass it with --stdin`, 2);
    const row = await loadTenant(scope);
    const endpoint = row ? llmEndpointOf(row) : null;
    const check = endpoint ? await proveFirst(ctx, endpoint, input.apiKey, input) : null;
    const result = await rotateTenantLlmKey(scope, ctx.box, input.apiKey, ctx.actor);
    return { summary: outcome(t.slug, result), check };
  }
  const { endpoint } = change;
  const check =
    endpoint === null ? null : await proveFirst(ctx, endpoint, await keyFor(ctx, t, endpoint, input), input);
  const result = await setTenantLlmEndpoint(
    scope,
    ctx.box,
    { endpoint, ...(input.apiKey === undefined ? {} : { apiKey: input.apiKey }) },
    ctx.actor,
  );
  return { summary: outcome(t.slug, result), check };
}
