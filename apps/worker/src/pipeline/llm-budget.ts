/** Which model answers, or whether none does, given a tenant's monthly token budget. */
export type BudgetDecision =
  | { state: 'ok'; model: string }
  | { state: 'soft'; model: string; used: number; budget: number }
  | { state: 'hard'; used: number; budget: number };

export interface TenantBudget {
  llmModel: string | null;
  monthlyTokenBudget: number | null;
  budgetSoftLimitPercent: number;
  budgetModel: string | null;
}

/**
 * Past the soft limit (a share of the budget) the cheaper model answers; at the budget no LLM call is
 * made and the note holds the gathered context only. A tenant with no budget always gets its model.
 */
export function decideBudget(
  tenant: TenantBudget,
  usedTokens: number,
  defaults: { model: string; budgetModel: string },
): BudgetDecision {
  const model = tenant.llmModel ?? defaults.model;
  const budget = tenant.monthlyTokenBudget;
  if (budget === null) return { state: 'ok', model };
  if (usedTokens >= budget) return { state: 'hard', used: usedTokens, budget };
  if (usedTokens >= (budget * tenant.budgetSoftLimitPercent) / 100)
    return { state: 'soft', model: tenant.budgetModel ?? defaults.budgetModel, used: usedTokens, budget };
  return { state: 'ok', model };
}
