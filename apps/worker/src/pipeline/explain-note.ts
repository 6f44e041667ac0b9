import { boundExplanation, type ExplainedSuggestion, type NoteExplanation } from '@ai-agents/db';
import type { SuggestionReasons } from './auto-apply.js';
import type { LlmStepResult } from './llm-step.js';
import type { NoteToPost } from './post-note.js';

/*
 * What a note was built from, for `note show` (docs/the-note.md, "Explain a note"): ids, ranks,
 * scores and how each similar ticket was found, what the prompt held and the model cited, the
 * suggestions and why they were (not) applied, the stage timings. No ticket text: see
 * packages/db/src/explanations/explanation.ts.
 */

function suggestion(value: string | null, applied: boolean, why: string): ExplainedSuggestion {
  return { value, applied, why };
}

function suggestionsOf(step: LlmStepResult | null): NoteExplanation['suggestions'] {
  const ai = step?.outcome.kind === 'ai' ? step.outcome : null;
  if (!step || !ai) return null;
  const why: SuggestionReasons = step.why ?? { category: '', priority: '' };
  return {
    category: suggestion(ai.note.suggested_category, step.applied.category, why.category),
    priority: suggestion(ai.note.suggested_priority, step.applied.priority, why.priority),
  };
}

// The order a job runs its stages in; StageClock records them in the order they finish.
const STAGE_ORDER = ['claim', 'sdp_fetch', 'context', 'llm', 'post_note'];

function inPipelineOrder(stages: Record<string, number>): NoteExplanation['stages'] {
  const at = (stage: string) => {
    const i = STAGE_ORDER.indexOf(stage);
    return i === -1 ? STAGE_ORDER.length : i;
  };
  return Object.entries(stages)
    .sort(([a], [b]) => at(a) - at(b))
    .map(([stage, ms]) => ({ stage, ms }));
}

/** The explanation recorded with a posted note, within its bounds. */
export function explainNote(note: NoteToPost, stagesMs: Record<string, number>): NoteExplanation {
  const { context, step } = note;
  const ai = step?.outcome.kind === 'ai' ? step.outcome : null;
  const included = step?.prompt?.included;
  const inPrompt = (ids: Set<string> | undefined, id: string) => ids?.has(id) ?? false;
  const promptTickets = included && new Set(included.similar.map((t) => t.externalId));
  const promptSolutions = included && new Set(included.solutions.map((s) => s.id));
  const citedTickets = new Set(ai?.note.cited_ticket_ids ?? []);
  const citedSolutions = new Set(ai?.note.cited_solution_ids ?? []);
  return boundExplanation({
    similar: (context?.similar ?? []).map((t, i) => ({
      id: t.externalId,
      rank: i + 1,
      score: t.score,
      foundBy: t.foundBy ?? (t.byMeaning ? 'meaning' : 'words'),
      inPrompt: inPrompt(promptTickets, t.externalId),
      cited: citedTickets.has(t.externalId),
    })),
    solutions: (context?.solutions ?? []).map((s, i) => ({
      id: s.id,
      rank: i + 1,
      score: s.score ?? null,
      inPrompt: inPrompt(promptSolutions, s.id),
      cited: citedSolutions.has(s.id),
    })),
    assets: (context?.assets ?? []).map((a) => ({ name: a.name, type: a.type })),
    unavailable: context?.unavailable ?? [],
    promptTrimmed: step?.prompt?.trimmed ?? null,
    suggestions: suggestionsOf(step),
    stages: inPipelineOrder(stagesMs),
  });
}
