/*
 * What a note was built from, recorded with the note (enhancements.explanation) and shown by
 * `note show <ref>`. Ids, scores, ranks and decisions only: no ticket text, no subject, no resolution
 * (those live in ticket_history under its own retention; `note show` reads a similar ticket's subject
 * from there while it is still kept), so this record never outlives the data retention removes.
 */

/** How a similar ticket was found: shared words (BM25), shared meaning (embeddings), or both rankings. */
export type FoundBy = 'words' | 'meaning' | 'both';

export interface ExplainedTicket {
  id: string;
  /** 1 = best. */
  rank: number;
  score: number;
  foundBy: FoundBy;
  /** In the prompt (the token budget may leave the last ones out). */
  inPrompt: boolean;
  /** Cited by the model in the note. */
  cited: boolean;
}

export interface ExplainedSolution {
  id: string;
  rank: number;
  /** Keywords of the ticket the solution contains, its title counting double. */
  score: number | null;
  inPrompt: boolean;
  cited: boolean;
}

export interface ExplainedAsset {
  name: string;
  type: string;
}

export interface ExplainedSuggestion {
  /** What the model suggested, after the taxonomy check; null when it suggested nothing usable. */
  value: string | null;
  applied: boolean;
  /** Why it was (not) written to the ticket. */
  why: string;
}

export interface NoteExplanation {
  similar: ExplainedTicket[];
  solutions: ExplainedSolution[];
  assets: ExplainedAsset[];
  /** Context sources that failed or timed out. */
  unavailable: string[];
  /** True when the token budget shortened or left out part of the prompt; null without an LLM call. */
  promptTrimmed: boolean | null;
  /** Null when no model answered (fallback, budget exhausted, alert-storm follower). */
  suggestions: { category: ExplainedSuggestion; priority: ExplainedSuggestion } | null;
  /**
   * Milliseconds per pipeline stage in the order the job runs them (the record step itself is not in
   * it: it is still running). A list, not an object: jsonb does not keep an object's key order.
   */
  stages: { stage: string; ms: number }[];
}

// Bounds: the worker asks for at most SIMILAR_LIMIT (≤ 20) tickets, 3 solutions and 10 assets; the
// caps hold whatever a caller passes, so one row stays within a few kilobytes.
const MAX_ITEMS = 20;
const MAX_STAGES = 20;
const MAX_ID_CHARS = 64;
const MAX_NAME_CHARS = 120;
const MAX_WHY_CHARS = 200;

const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

function boundSuggestion(s: ExplainedSuggestion): ExplainedSuggestion {
  return {
    value: s.value === null ? null : clip(s.value, MAX_NAME_CHARS),
    applied: s.applied,
    why: clip(s.why, MAX_WHY_CHARS),
  };
}

/** The explanation within its size bounds: lists capped, strings cut. */
export function boundExplanation(e: NoteExplanation): NoteExplanation {
  return {
    similar: e.similar.slice(0, MAX_ITEMS).map((t) => ({ ...t, id: clip(t.id, MAX_ID_CHARS) })),
    solutions: e.solutions.slice(0, MAX_ITEMS).map((s) => ({ ...s, id: clip(s.id, MAX_ID_CHARS) })),
    assets: e.assets
      .slice(0, MAX_ITEMS)
      .map((a) => ({ name: clip(a.name, MAX_NAME_CHARS), type: clip(a.type, MAX_NAME_CHARS) })),
    unavailable: e.unavailable.slice(0, MAX_ITEMS).map((u) => clip(u, MAX_NAME_CHARS)),
    promptTrimmed: e.promptTrimmed,
    suggestions: e.suggestions && {
      category: boundSuggestion(e.suggestions.category),
      priority: boundSuggestion(e.suggestions.priority),
    },
    stages: e.stages
      .slice(0, MAX_STAGES)
      .map(({ stage, ms }) => ({ stage: clip(stage, MAX_NAME_CHARS), ms: Math.round(ms * 10) / 10 })),
  };
}
