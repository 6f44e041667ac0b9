import {
  effectiveRetention,
  loadRetentionOverrides,
  type RetentionOverrides,
  type RetentionPolicy,
  type TenantSettings,
  updateTenantSettings,
} from '@ai-agents/db';
import { MAX_RETENTION_DAYS, MAX_RETENTION_MONTHS, MIN_ENHANCEMENT_DAYS } from '@ai-agents/shared';
import type { Command } from 'commander';
import { AdminError, tenantBySlug, withContext } from '../context.js';
import { numberOption } from './options.js';

type Setting = keyof RetentionPolicy;

/** Each setting: its flag, its tenants column (as TenantSettings names it), its unit and least value. */
const SETTINGS: Record<Setting, { flag: string; column: keyof TenantSettings; unit: string; min: number }> = {
  historyMonths: { flag: '--history-months', column: 'retentionHistoryMonths', unit: 'months', min: 1 },
  enhancementDays: {
    flag: '--enhancement-days',
    column: 'retentionEnhancementDays',
    unit: 'days',
    min: MIN_ENHANCEMENT_DAYS,
  },
  auditDays: { flag: '--audit-days', column: 'retentionAuditDays', unit: 'days', min: 1 },
  feedbackCommentDays: {
    flag: '--feedback-comment-days',
    column: 'retentionFeedbackCommentDays',
    unit: 'days',
    min: 1,
  },
};

type Options = Partial<Record<Setting, string>>;

/** `default` → null (the installation's RETENTION_*), `off` → 0 (keep for ever), N → N. */
function settingValue(value: string, setting: Setting): number | null {
  if (value === 'default') return null;
  if (value === 'off') return 0;
  const { flag, unit, min } = SETTINGS[setting];
  return numberOption(value, flag, min, unit === 'months' ? MAX_RETENTION_MONTHS : MAX_RETENTION_DAYS, true);
}

function settingsFrom(opts: Options): TenantSettings {
  const patch: Record<string, number | null> = {};
  for (const setting of Object.keys(SETTINGS) as Setting[]) {
    const value = opts[setting];
    if (value !== undefined) patch[SETTINGS[setting].column] = settingValue(value, setting);
  }
  return patch as TenantSettings;
}

/** One line per setting: what is in force and where it comes from. */
function describePolicy(policy: RetentionPolicy, overrides: RetentionOverrides): string[] {
  return (Object.keys(SETTINGS) as Setting[]).map((setting) => {
    const { flag, unit } = SETTINGS[setting];
    const value = policy[setting];
    const source = overrides[setting] === null ? 'installation default' : 'tenant setting';
    return `  ${flag.slice(2)}: ${value === 0 ? 'keep for ever' : `${value} ${unit}`} (${source})`;
  });
}

/**
 * `tenant retention <slug>`: how long the tenant's data is kept (docs/data-lifecycle.md). Without
 * flags it shows the policy in force; each flag sets one value: a number, `off` (keep for ever,
 * whatever the default) or `default` (the installation's RETENTION_*). The worker's daily retention
 * job applies it; the change is audited like every tenant setting.
 */
export function registerTenantRetentionCommand(tenant: Command): void {
  const command = tenant
    .command('retention')
    .description('show or change how long a tenant\'s data is kept (N, "off" = keep for ever, "default")')
    .argument('<slug>', 'the tenant');
  for (const setting of Object.keys(SETTINGS) as Setting[]) {
    const { flag, unit, min } = SETTINGS[setting];
    command.option(`${flag} <${unit}|off|default>`, `at least ${min} ${unit}`);
  }
  command.action(async (slug: string, opts: Options, cmd: Command) => {
    const settings = settingsFrom(opts);
    await withContext(cmd, async (ctx) => {
      const t = await tenantBySlug(ctx, slug);
      const scope = { db: ctx.database.db, tenantId: t.id };
      const changed =
        Object.keys(settings).length > 0 ? await updateTenantSettings(scope, settings, ctx.actor) : [];
      const overrides = await loadRetentionOverrides(scope);
      if (changed === null || overrides === null) throw new AdminError(`no tenant with slug "${slug}"`);
      const policy = effectiveRetention(ctx.config.retention, overrides);
      const head =
        Object.keys(settings).length === 0
          ? `Retention of ${slug}:`
          : `Retention of ${slug} ${changed.length > 0 ? 'updated' : 'already so; nothing changed'}:`;
      ctx.print([head, ...describePolicy(policy, overrides)].join('\n'), {
        slug,
        changed,
        policy,
        overrides,
      });
    });
  });
}
