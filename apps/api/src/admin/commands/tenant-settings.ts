import { findWebhookTenant, type TenantLlmSettings, updateTenantSettings } from '@ai-agents/db';
import type { Command } from 'commander';
import { AdminError, withContext } from '../context.js';

function onOff(value: string, flag: string): boolean {
  if (value === 'on' || value === 'off') return value === 'on';
  throw new AdminError(`${flag} must be on or off, got "${value}"`, 2);
}

function number(value: string, flag: string, min: number, max: number, integer: boolean): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n)))
    throw new AdminError(
      `${flag} must be ${integer ? 'a whole number' : 'a number'} from ${min} to ${max}, got "${value}"`,
      2,
    );
  return n;
}

interface Options {
  tenant: string;
  piiRedaction?: string;
  autoApply?: string;
  autoApplyMinConfidence?: string;
  monthlyTokenBudget?: string;
  budgetSoftLimitPercent?: string;
  budgetModel?: string;
  model?: string;
}

/** Reads the flags into a settings patch; "none" clears a budget or model. */
function settingsFrom(opts: Options): TenantLlmSettings {
  const s: TenantLlmSettings = {};
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
  if (opts.budgetModel !== undefined) s.budgetModel = opts.budgetModel === 'none' ? null : opts.budgetModel;
  if (opts.model !== undefined) s.llmModel = opts.model === 'none' ? null : opts.model;
  return s;
}

/** `tenant settings`: the per-tenant knobs of the LLM step (redaction, suggestions, budget). */
export function registerTenantSettingsCommand(program: Command): void {
  const tenant = program.commands.find((c) => c.name() === 'tenant') ?? program.command('tenant');
  tenant
    .command('settings')
    .description('change how notes are written for one tenant (only the flags given change)')
    .requiredOption('--tenant <slug>', 'the tenant')
    .option('--pii-redaction <on|off>', 'replace personal data by placeholders before the LLM (default on)')
    .option('--auto-apply <on|off>', 'write suggested category/priority to the ticket (default off)')
    .option('--auto-apply-min-confidence <0..1>', 'least model confidence for --auto-apply (default 0.8)')
    .option('--monthly-token-budget <tokens|none>', 'LLM tokens per calendar month (default none)')
    .option(
      '--budget-soft-limit-percent <1..100>',
      'share of the budget after which the cheaper model answers (default 80)',
    )
    .option('--budget-model <model|none>', 'the cheaper model (default: LLM_BUDGET_MODEL)')
    .option('--model <model|none>', 'the model for this tenant (default: LLM_MODEL)')
    .action(async (opts: Options, command: Command) => {
      const settings = settingsFrom(opts);
      if (Object.keys(settings).length === 0) throw new AdminError('give at least one setting to change', 2);
      await withContext(command, async (ctx) => {
        const found = await findWebhookTenant(ctx.database.db, opts.tenant);
        if (!found || !(await updateTenantSettings(ctx.database.db, found.id, settings, ctx.actor)))
          throw new AdminError(`no tenant with slug "${opts.tenant}"`);
        ctx.print(`Tenant ${opts.tenant} updated: ${JSON.stringify(settings)}`, {
          tenant: opts.tenant,
          ...settings,
        });
      });
    });
}
