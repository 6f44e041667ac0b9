import { MAX_KEEP_LLM_IO_DAYS, type TenantSettings, updateTenantSettings } from '@ai-agents/db';
import { isNoteLanguage, NOTE_LANGUAGES } from '@ai-agents/shared';
import type { Command } from 'commander';
import { type AdminContext, AdminError, type AdminIo, tenantBySlug, withContext } from '../context.js';
import { readStdinVariables } from '../credential-input.js';
import { llmCheckLine } from '../llm-check.js';
import { numberOption as number } from './options.js';
import {
  addEndpointOptions,
  applyEndpointChange,
  type EndpointChange,
  type EndpointOptions,
  endpointChangeFrom,
  KEY_VARIABLE,
} from './tenant-llm-endpoint.js';

function onOff(value: string, flag: string): boolean {
  if (value === 'on' || value === 'off') return value === 'on';
  throw new AdminError(`${flag} must be on or off, got "${value}"`, 2);
}

/** A language code of NOTE_LANGUAGES (or `auto` where allowed), else exit 2 naming the choices. */
function language(value: string, flag: string, auto: boolean): string {
  if (isNoteLanguage(value) || (auto && value === 'auto')) return value;
  const choices = [...(auto ? ['auto'] : []), ...Object.keys(NOTE_LANGUAGES)].join(', ');
  throw new AdminError(`${flag} must be one of ${choices}, got "${value}"`, 2);
}

interface Options extends EndpointOptions {
  model?: string;
  piiRedaction?: string;
  autoApply?: string;
  autoApplyMinConfidence?: string;
  monthlyTokenBudget?: string;
  budgetSoftLimitPercent?: string;
  budgetModel?: string;
  keepLlmIo?: string;
  noteLanguage?: string;
  defaultLanguage?: string;
}

/** Reads the flags into a settings patch; "none" clears the budget, "default" the budget model. */
function settingsFrom(opts: Options): TenantSettings {
  const s: TenantSettings = {};
  if (opts.model !== undefined) {
    if (opts.model.trim() === '') throw new AdminError('--model must not be empty', 2);
    s.llmModel = opts.model === 'default' ? null : opts.model;
  }
  if (opts.piiRedaction !== undefined) s.piiRedaction = onOff(opts.piiRedaction, '--pii-redaction');
  if (opts.autoApply !== undefined) s.autoApplySuggestions = onOff(opts.autoApply, '--auto-apply');
  if (opts.autoApplyMinConfidence !== undefined)
    s.autoApplyMinConfidence = number(
      opts.autoApplyMinConfidence,
      '--auto-apply-min-confidence',
      0,
      1,
      false,
    );
  if (opts.monthlyTokenBudget !== undefined)
    s.monthlyTokenBudget =
      opts.monthlyTokenBudget === 'none'
        ? null
        : number(opts.monthlyTokenBudget, '--monthly-token-budget', 1, 2_000_000_000, true);
  if (opts.budgetSoftLimitPercent !== undefined)
    s.budgetSoftLimitPercent = number(
      opts.budgetSoftLimitPercent,
      '--budget-soft-limit-percent',
      1,
      100,
      true,
    );
  if (opts.budgetModel !== undefined) {
    if (opts.budgetModel.trim() === '') throw new AdminError('--budget-model must not be empty', 2);
    s.budgetModel = opts.budgetModel === 'default' ? null : opts.budgetModel;
  }
  if (opts.keepLlmIo !== undefined)
    s.keepLlmIoDays = number(opts.keepLlmIo, '--keep-llm-io', 0, MAX_KEEP_LLM_IO_DAYS, true);
  if (opts.noteLanguage !== undefined) s.noteLanguage = language(opts.noteLanguage, '--note-language', true);
  if (opts.defaultLanguage !== undefined)
    s.defaultLanguage = language(opts.defaultLanguage, '--default-language', false);
  return s;
}

/** The endpoint change first (it may be refused after its check), then the settings. */
async function change(
  ctx: AdminContext,
  slug: string,
  request: { settings: TenantSettings; endpoint: EndpointChange | null; apiKey: string | undefined },
  opts: Options,
): Promise<void> {
  const t = await tenantBySlug(ctx, slug);
  const scope = { db: ctx.database.db, tenantId: t.id };
  const model = request.settings.llmModel === undefined ? t.llmModel : request.settings.llmModel;
  const endpoint = request.endpoint
    ? await applyEndpointChange(ctx, t, {
        change: request.endpoint,
        apiKey: request.apiKey,
        model,
        check: opts.check,
        timeout: opts.timeout,
      })
    : null;
  const changed =
    Object.keys(request.settings).length === 0
      ? []
      : await updateTenantSettings(scope, request.settings, ctx.actor);
  if (changed === null) throw new AdminError(`no tenant with slug "${slug}"`);
  const lines = [
    changed.length > 0 ? `Tenant ${slug} updated: ${changed.join(', ')}.` : null,
    endpoint ? `Tenant ${slug}: ${endpoint.summary}.` : null,
    endpoint?.check ? `  ${llmCheckLine(endpoint.check)}` : null,
  ].filter((l): l is string => l !== null);
  ctx.print(
    lines.length > 0 ? lines.join('\n') : `Tenant ${slug} already had these settings; nothing changed.`,
    {
      slug,
      changed,
      ...(endpoint ? { endpoint: endpoint.summary, check: endpoint.check } : {}),
    },
  );
}

/**
 * `tenant llm <slug>`: how the LLM step treats one tenant (its model and model endpoint, redaction,
 * suggestions, budget, language).
 */
export function registerTenantLlmCommand(program: Command, io: AdminIo): void {
  const tenant = program.commands.find((c) => c.name() === 'tenant') ?? program.command('tenant');
  const command = tenant
    .command('llm <slug>')
    .description(
      'change how notes are written for a tenant: model and endpoint, redaction, suggestions, token budget, keeping model I/O, language (only the flags given)',
    )
    .option('--model <model|default>', "the model (an Azure deployment's model); default: LLM_MODEL")
    .option('--pii-redaction <on|off>', 'replace personal data by placeholders before the LLM (default on)')
    .option('--auto-apply <on|off>', 'write suggested category/priority to the ticket (default off)')
    .option('--auto-apply-min-confidence <0..1>', 'least model confidence for --auto-apply (default 0.8)')
    .option('--monthly-token-budget <tokens|none>', 'LLM tokens per calendar month, UTC (default none)')
    .option(
      '--budget-soft-limit-percent <1..100>',
      'share of the budget after which the cheaper model answers (default 80)',
    )
    .option('--budget-model <model|default>', 'the cheaper model (default: LLM_BUDGET_MODEL)')
    .option(
      '--keep-llm-io <days>',
      `keep the redacted text sent to the model and its answer for note show, 1..${MAX_KEEP_LLM_IO_DAYS} days; 0 turns it off (default 0)`,
    )
    .option(
      '--note-language <auto|en|de|…>',
      "the note's language: auto (the ticket's) or the technicians' (default auto)",
    )
    .option(
      '--default-language <en|de|…>',
      "the note's language when auto cannot tell the ticket's (default en)",
    );
  addEndpointOptions(command).action(async (slug: string, opts: Options, cmd: Command) => {
    const settings = settingsFrom(opts);
    const endpoint = endpointChangeFrom(opts);
    if (Object.keys(settings).length === 0 && endpoint === null)
      throw new AdminError('nothing to change: give at least one setting', 2);
    const stdin = opts.stdin ? await readStdinVariables(io.stdin, [KEY_VARIABLE]) : undefined;
    await withContext(cmd, async (ctx) => {
      const apiKey = stdin?.[KEY_VARIABLE] || ctx.config.tenantLlmApiKey;
      await change(ctx, slug, { settings, endpoint, apiKey }, opts);
    });
  });
}
