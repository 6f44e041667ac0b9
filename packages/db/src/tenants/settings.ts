import { eq, sql } from 'drizzle-orm';
import { recordAudit } from '../audit/record.js';
import type { Db } from '../client.js';
import { tenants } from '../schema/tenants.js';
import { withTenant } from '../with-tenant.js';

/** The per-tenant knobs of the LLM step (issue 6). Omitted fields are left as they are. */
export interface TenantLlmSettings {
  piiRedaction?: boolean;
  autoApplySuggestions?: boolean;
  autoApplyMinConfidence?: number;
  monthlyTokenBudget?: number | null;
  budgetSoftLimitPercent?: number;
  budgetModel?: string | null;
  llmModel?: string | null;
}

export async function updateTenantSettings(
  db: Db,
  tenantId: string,
  settings: TenantLlmSettings,
  actor: string,
): Promise<boolean> {
  return withTenant(db, tenantId, async (tx) => {
    const updated = await tx
      .update(tenants)
      .set({ ...settings, updatedAt: sql`now()` })
      .where(eq(tenants.id, tenantId))
      .returning({ id: tenants.id });
    if (updated.length === 0) return false;
    await recordAudit(tx, { tenantId, actor, action: 'tenant.settings_changed', details: { ...settings } });
    return true;
  });
}
