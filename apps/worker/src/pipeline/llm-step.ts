import { type Db, monthlyTokensUsed, type TenantRow } from '@ai-agents/db';
import type { ServiceDeskClient } from '@ai-agents/servicedesk';
import type { Logger, ModelPrice } from '@ai-agents/shared';
import type OpenAI from 'openai';
import { type AppliedSuggestions, suggestionsToApply } from './auto-apply.js';
import { buildPrompt, PROMPT_VERSION } from './build-prompt.js';
import type { GatheredContext, SimilarTicket } from './context-types.js';
import { type AiOutcome, generateNote, type NoteOutcome } from './generate-note.js';
import { type BudgetDecision, decideBudget } from './llm-budget.js';
import { chooseNoteLanguage, type NoteLanguageChoice } from './note-language.js';
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
  /** The note's language: what the model wrote in, or what it was asked for when there was no model. */
  language: string;
  budget: BudgetDecision;
  /** True when anything was written to the ticket; `applied` says what. */
  suggestionsApplied: boolean;
  applied: AppliedSuggestions;
}

export interface LlmStepInput {
  tenant: TenantRow;
  sdp: ServiceDeskClient;
  requestId: string;
  subject: string;
  description: string;
  context: GatheredContext;
  log: Logger;
}

/** This month's budget decision; only a tenant with a budget needs its usage, so the sum is skipped for the others. */
async function tenantBudget(deps: LlmStepDeps, tenant: TenantRow): Promise<BudgetDecision> {
  const used =
    tenant.monthlyTokenBudget === null ? 0 : await monthlyTokensUsed({ db: deps.db, tenantId: tenant.id });
  return decideBudget(tenant, used, { model: deps.defaultModel, budgetModel: deps.budgetModel });
}

/** The tenant's taxonomy and the redacted, token-budgeted prompt. */
async function promptFor(deps: LlmStepDeps, input: LlmStepInput, language: NoteLanguageChoice) {
  const { taxonomy } = await deps.taxonomy.get(input.tenant.id, input.sdp);
  const built = buildPrompt({
    subject: input.subject,
    description: input.description,
    context: input.context,
    language,
    taxonomy,
    redactor: input.tenant.piiRedaction ? createRedactor() : noRedaction,
    tokenBudget: deps.promptTokenBudget,
  });
  return { taxonomy, built };
}

function warnDropped(outcome: AiOutcome, log: Logger): void {
  if (outcome.droppedCitations.length > 0 || outcome.droppedSuggestions.length > 0) {
    log.warn(
      {
        droppedCitations: outcome.droppedCitations.length,
        droppedSuggestions: outcome.droppedSuggestions.length,
      },
      'LLM answer referred to ids or taxonomy values outside its context; dropped them',
    );
  }
}

/** Writes the suggested category/priority to the ticket when the tenant opted in and it is backed. */
async function applySuggestions(
  input: LlmStepInput,
  note: AiOutcome['note'],
  similar: SimilarTicket[],
): Promise<AppliedSuggestions> {
  // Confidence alone never changes a ticket: the similar tickets must agree (auto-apply.ts).
  const decision = suggestionsToApply({ tenant: input.tenant, note, similar });
  if (Object.keys(decision.update).length === 0) return decision.applied;
  try {
    await input.sdp.updateRequest(input.requestId, decision.update);
    return decision.applied;
  } catch (error) {
    // The note is worth more than the suggestion: post it, and say the suggestion was not applied.
    input.log.warn({ err: error }, 'could not apply the suggested category/priority');
    return { category: false, priority: false };
  }
}

/**
 * From gathered context to the LLM's checked answer: budget, language, taxonomy, redaction, a
 * token-budgeted prompt, the call, grounding, and (only when the tenant opted in, the model is
 * confident enough and the similar tickets agree) writing the suggested category to the ticket.
 */
export async function runLlmStep(deps: LlmStepDeps, input: LlmStepInput): Promise<LlmStepResult> {
  const { log } = input;
  const budget = await tenantBudget(deps, input.tenant);
  const language = chooseNoteLanguage(input.tenant, `${input.subject}\n${input.description}`);
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
      language: language.note,
    };
  }
  if (budget.state === 'soft') log.info({ model: budget.model }, 'past the soft budget limit; cheaper model');

  const { taxonomy, built } = await promptFor(deps, input, language);
  const outcome = await generateNote(deps.llm, built, {
    model: budget.model,
    maxInvalidRetries: deps.maxInvalidRetries,
    taxonomy,
    prices: deps.prices,
  });
  if (outcome.kind !== 'ai') return { ...base, outcome, language: language.note };
  warnDropped(outcome, log);
  const applied = await applySuggestions(input, outcome.note, built.included.similar);
  const suggestionsApplied = applied.category || applied.priority;
  return { ...base, outcome, language: outcome.note.language, suggestionsApplied, applied };
}
