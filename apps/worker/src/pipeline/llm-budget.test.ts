import { describe, expect, it } from 'vitest';
import { decideBudget } from './llm-budget.js';

const defaults = { model: 'gpt-4o-mini', budgetModel: 'gpt-4.1-nano' };
const tenant = { llmModel: null, monthlyTokenBudget: 10_000, budgetSoftLimitPercent: 80, budgetModel: null };

describe('decideBudget', () => {
  it('uses the tenant model below the soft limit, and always without a budget', () => {
    expect(decideBudget(tenant, 7_999, defaults)).toEqual({ state: 'ok', model: 'gpt-4o-mini' });
    expect(
      decideBudget({ ...tenant, monthlyTokenBudget: null, llmModel: 'gpt-4o' }, 10 ** 9, defaults),
    ).toEqual({
      state: 'ok',
      model: 'gpt-4o',
    });
  });

  it('switches to the cheaper model at the soft limit (the tenant may name its own)', () => {
    expect(decideBudget(tenant, 8_000, defaults)).toMatchObject({ state: 'soft', model: 'gpt-4.1-nano' });
    expect(decideBudget({ ...tenant, budgetModel: 'local-llama' }, 9_999, defaults)).toMatchObject({
      state: 'soft',
      model: 'local-llama',
    });
  });

  it('stops calling the LLM at the budget', () => {
    expect(decideBudget(tenant, 10_000, defaults)).toEqual({ state: 'hard', used: 10_000, budget: 10_000 });
  });
});
