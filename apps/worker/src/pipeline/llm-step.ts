import { type Db, type LlmExchange, monthlyTokensUsed, type TenantRow } from '@ai-agents/db';
import type { ServiceDeskClient } from '@ai-agents/servicedesk';
import type { Logger, ModelPrice } from '@ai-agents/shared';
import { type AppliedSuggestions, type SuggestionReasons, suggestionsToApply } from './auto-apply.js';
import { type BuiltPrompt, buildPrompt, PROMPT_VERSION, SYSTEM_PROMPT } from './build-prompt.js';
import type { GatheredContext, SimilarTicket } from './context-types.js';
import { type AiOutcome, generateNote, type NoteOutcome } from './generate-note.js';
import { type BudgetDecision, decideBudget } from './llm-budget.js';
import { chooseNoteLanguage, type NoteLanguageChoice } from './note-language.js';
import { createRedactor, noRedaction } from './redact-pii.js';
import type { TaxonomyCache } from './taxonomy-cache.js';
import type { TenantLlms } from './tenant-llm.js';

export interface LlmStepDeps {
  db: Db;
  /** The installation's client, or the tenant's own endpoint's (`tenant llm --endpoint`). */
  llm: TenantLlms;
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
  /** True when anything was written to the ticket; `applied` says what, `why` why (null: no answer). */
  suggestionsApplied: boolean;
  applied: AppliedSuggestions;
  why: SuggestionReasons | null;
  /** What the prompt held and whether it was trimmed; null when the model was not asked. */
  prompt: Pick<BuiltPrompt, 'included' | 'trimmed'> | null;
  /** The redacted text sent to the model and its answer; null when it was not asked. Stored only
   * where the tenant keeps model I/O (recordLlmExchange). */
  exchange: LlmExchange | null;
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
): Promise<{ applied: AppliedSuggestions; why: SuggestionReasons }> {
  // Confidence alone never changes a ticket: the similar tickets must agree (auto-apply.ts).
  const decision = suggestionsToApply({ tenant: input.tenant, note, similar });
  if (Object.keys(decision.update).length === 0) return decision;
  try {
    await input.sdp.updateRequest(input.requestId, decision.update);
    return decision;
  } catch (error) {
    // The note is worth more than the suggestion: post it, and say the suggestion was not applied.
    input.log.warn({ err: error }, 'could not apply the suggested category/priority');
    const refused = (applied: boolean, why: string) =>
      applied ? 'ServiceDesk Plus refused the update of the ticket' : why;
    return {
      applied: { category: false, priority: false },
      why: {
        category: refused(decision.applied.category, decision.why.category),
        priority: refused(decision.applied.priority, decision.why.priority),
      },
    };
  }
}

/** The text the model received (system and user messages, redacted) and its answer, if it gave one. */
function exchangeOf(built: BuiltPrompt, outcome: NoteOutcome): LlmExchange {
  const answer = outcome.kind === 'budget_exhausted' ? undefined : outcome.answer;
  return { prompt: `[system]\n${SYSTEM_PROMPT}\n\n[user]\n${built.prompt}`, answer: answer ?? null };
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
    why: null,
    prompt: null,
    exchange: null,
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

  const llm = deps.llm.forTenant(input.tenant);
  if (!llm.ok) {
    log.warn({ endpoint: llm.endpoint, problem: llm.problem }, "the tenant's LLM endpoint cannot be used");
    const reason = `the tenant's LLM endpoint (${llm.endpoint}) cannot be used: ${llm.problem}`;
    return { ...base, outcome: { kind: 'fallback', reason }, language: language.note };
  }
  const { taxonomy, built } = await promptFor(deps, input, language);
  const outcome = await generateNote(llm.client, built, {
    model: budget.model,
    maxInvalidRetries: deps.maxInvalidRetries,
    taxonomy,
    prices: deps.prices,
  });
  const asked = { prompt: built, exchange: exchangeOf(built, outcome) };
  if (outcome.kind !== 'ai') return { ...base, ...asked, outcome, language: language.note };
  warnDropped(outcome, log);
  const { applied, why } = await applySuggestions(input, outcome.note, built.included.similar);
  const suggestionsApplied = applied.category || applied.priority;
  return { ...base, ...asked, outcome, language: outcome.note.language, suggestionsApplied, applied, why };
}
