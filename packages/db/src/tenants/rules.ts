import { ruleOperator, type TicketRules } from '@ai-agents/shared';
import { recordAudit } from '../audit/record.js';
import { eq, sql } from '../orm.js';
import { tenants } from '../schema/tenants.js';
import { inTenant, type TenantScope } from '../with-tenant.js';

/**
 * The tenant's rules document (`tenant rules show`), as stored: null when it has none. `undefined` when
 * the tenant does not exist (or is not visible). The worker reads it with the tenant's row instead
 * (loadTenantAndClaim), in the claim's round trip.
 */
export async function loadTenantRules(scope: TenantScope): Promise<unknown | undefined> {
  const [row] = await inTenant(scope, 'statement', (tx) =>
    tx.select({ rules: tenants.rules }).from(tenants).where(eq(tenants.id, scope.tenantId)).limit(1),
  );
  return row ? row.rules : undefined;
}

/**
 * Replaces the tenant's rules (checked by parseTicketRules first: this stores what it is given) and
 * records it in the audit log: how many rules, and the fields and operators they read. Not the values:
 * an opt-out list names people. False when the tenant does not exist.
 */
export async function setTenantRules(
  scope: TenantScope,
  rules: TicketRules,
  actor: string,
): Promise<boolean> {
  return inTenant(scope, 'transaction', async (tx) => {
    const updated = await tx
      .update(tenants)
      .set({ rules, updatedAt: sql`now()` })
      .where(eq(tenants.id, scope.tenantId))
      .returning({ id: tenants.id });
    if (updated.length === 0) return false;
    await recordAudit(
      { ...scope, tx },
      {
        actor,
        action: 'tenant.rules_set',
        details: {
          skip: rules.skip.map((r) => ({ field: r.field, operator: ruleOperator(r) })),
          optOutRequesters: rules.opt_out_requesters.length,
        },
      },
    );
    return true;
  });
}
