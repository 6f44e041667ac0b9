import { type Db, monthlyTokensUsed, type TenantRow } from '@ai-agents/db';
import type { ServiceDeskClient } from '@ai-agents/servicedesk';
import type { Logger, ModelPrice } from '@ai-agents/shared';
import type OpenAI from 'openai';
import { type AppliedSuggestions, suggestionsToApply } from './auto-apply.js';
import { buildPrompt, PROMPT_VERSION } from './build-prompt.js';
import type { GatheredContext } from './context-types.js';
import { detectLanguage } from './detect-language.js';
import { generateNote, type NoteOutcome } from './generate-note.js';
import { type BudgetDecision, decideBudget } from './llm-budget.js';
import { createRedactor, noRedaction } from './redact-pii.js';
import type { TaxonomyCache } from './taxonomy-cache.js';

export interface LlmStepDeps {
  db: Db;
  llm: OpenAI;
  defaultModel: string;
  budgetModel: string;
  maxInvalidRetries: number;
  prices: Readonly<Record<string, ModelPrice>>;
  promptTokenBudget: number;
  taxonomy: TaxonomyCache;
}

export interface LlmStepResult {
  outcome: NoteOutcome;
  promptVersion: string;
  /** The note's language: what the model wrote in, or what was detected when there was no model. */
  language: string;
  budget: BudgetDecision;
  /** True when anything was written to the ticket; `applied` says what. */
  suggestionsApplied: boolean;
  applied: AppliedSuggestions;
}

/**
 * From gathered context to the LLM's checked answer: budget, language, taxonomy, redaction, a
 * token-budgeted prompt, the call, grounding, and (only when the tenant opted in, the model is
 * confident enough and the similar tickets agree) writing the suggested category to the ticket.
 */
export async function runLlmStep(
  deps: LlmStepDeps,
  input: {
    tenant: TenantRow;
    sdp: ServiceDeskClient;
    requestId: string;
    subject: string;
    description: string;
    context: GatheredContext;
    log: Logger;
  },
): Promise<LlmStepResult> {
  const { tenant, log } = input;
  // Only a tenant with a budget needs this month's usage; the sum is skipped for the others.
  const used =
    tenant.monthlyTokenBudget === null ? 0 : await monthlyTokensUsed({ db: deps.db, tenantId: tenant.id });
  const budget = decideBudget(tenant, used, { model: deps.defaultModel, budgetModel: deps.budgetModel });
  const detected = detectLanguage(`${input.subject}\n${input.description}`);
  const base = {
    promptVersion: PROMPT_VERSION,
    budget,
    suggestionsApplied: false,
    applied: { category: false, priority: false },
  };
  if (budget.state === 'hard') {
    log.warn(
      { used: budget.used, budget: budget.budget },
      'monthly token budget exhausted; context-only note',
    );
    return {
      ...base,
      outcome: { kind: 'budget_exhausted', used: budget.used, budget: budget.budget },
      language: detected,
    };
  }
  if (budget.state === 'soft') log.info({ model: budget.model }, 'past the soft budget limit; cheaper model');

  const { taxonomy } = await deps.taxonomy.get(tenant.id, input.sdp);
  const built = buildPrompt({
    subject: input.subject,
    description: input.description,
    context: input.context,
    language: detected,
    taxonomy,
    redactor: tenant.piiRedaction ? createRedactor() : noRedaction,
    tokenBudget: deps.promptTokenBudget,
  });
  const outcome = await generateNote(deps.llm, built, {
    model: budget.model,
    maxInvalidRetries: deps.maxInvalidRetries,
    taxonomy,
    prices: deps.prices,
  });
  if (outcome.kind !== 'ai') return { ...base, outcome, language: detected };

  if (outcome.droppedCitations.length > 0 || outcome.droppedSuggestions.length > 0) {
    log.warn(
      {
        droppedCitations: outcome.droppedCitations.length,
        droppedSuggestions: outcome.droppedSuggestions.length,
      },
      'LLM answer referred to ids or taxonomy values outside its context; dropped them',
    );
  }
  const { note } = outcome;
  // Confidence alone never changes a ticket: the similar tickets must agree (auto-apply.ts).
  const decision = suggestionsToApply({ tenant, note, similar: built.included.similar });
  let applied = decision.applied;
  if (Object.keys(decision.update).length > 0) {
    try {
      await input.sdp.updateRequest(input.requestId, decision.update);
    } catch (error) {
      // The note is worth more than the suggestion: post it, and say the suggestion was not applied.
      log.warn({ err: error }, 'could not apply the suggested category/priority');
      applied = { category: false, priority: false };
    }
  }
  const suggestionsApplied = applied.category || applied.priority;
  return { ...base, outcome, language: note.language, suggestionsApplied, applied };
}
