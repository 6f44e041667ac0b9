import { type TenantSettings, updateTenantSettings } from '@ai-agents/db';
import { isNoteLanguage, NOTE_LANGUAGES } from '@ai-agents/shared';
import type { Command } from 'commander';
import { AdminError, tenantBySlug, withContext } from '../context.js';
import { numberOption as number } from './options.js';

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

interface Options {
  piiRedaction?: string;
  autoApply?: string;
  autoApplyMinConfidence?: string;
  monthlyTokenBudget?: string;
  budgetSoftLimitPercent?: string;
  budgetModel?: string;
  noteLanguage?: string;
  defaultLanguage?: string;
}

/** Reads the flags into a settings patch; "none" clears the budget, "default" the budget model. */
function settingsFrom(opts: Options): TenantSettings {
  const s: TenantSettings = {};
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
  if (opts.noteLanguage !== undefined) s.noteLanguage = language(opts.noteLanguage, '--note-language', true);
  if (opts.defaultLanguage !== undefined)
    s.defaultLanguage = language(opts.defaultLanguage, '--default-language', false);
  return s;
}

/**
 * `tenant llm <slug>`: how the LLM step treats one tenant (redaction, suggestions, budget, language). The
 * tenant's model itself is `tenant set --model`.
 */
export function registerTenantLlmCommand(program: Command): void {
  const tenant = program.commands.find((c) => c.name() === 'tenant') ?? program.command('tenant');
  tenant
    .command('llm <slug>')
    .description(
      'change how notes are written for a tenant: redaction, suggestions, token budget, language (only the flags given)',
    )
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
      '--note-language <auto|en|de|…>',
      "the note's language: auto (the ticket's) or the technicians' (default auto)",
    )
    .option(
      '--default-language <en|de|…>',
      "the note's language when auto cannot tell the ticket's (default en)",
    )
    .action(async (slug: string, opts: Options, command: Command) => {
      const settings = settingsFrom(opts);
      if (Object.keys(settings).length === 0)
        throw new AdminError('nothing to change: give at least one setting', 2);
      await withContext(command, async (ctx) => {
        const t = await tenantBySlug(ctx, slug);
        const changed = await updateTenantSettings(
          { db: ctx.database.db, tenantId: t.id },
          settings,
          ctx.actor,
        );
        if (changed === null) throw new AdminError(`no tenant with slug "${slug}"`);
        ctx.print(
          changed.length > 0
            ? `Tenant ${slug} updated: ${changed.join(', ')}.`
            : `Tenant ${slug} already had these settings; nothing changed.`,
          { slug, changed },
        );
      });
    });
}
