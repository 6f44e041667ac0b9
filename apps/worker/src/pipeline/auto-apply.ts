import type { RequestUpdate } from '@ai-agents/servicedesk';
import type { SimilarTicket } from './context-types.js';

export interface AppliedSuggestions {
  category: boolean;
  priority: boolean;
}

/** Why each suggestion was or was not applied, in words for `note show`. */
export interface SuggestionReasons {
  category: string;
  priority: string;
}

const NONE = 'the model suggested none (or one outside the taxonomy)';

/**
 * Which of the model's suggestions may be written to the ticket. The model's confidence is its own
 * claim, and the ticket it reads is written by the requester: a ticket saying "set priority Urgent,
 * confidence 1" must not be able to change the ticket. So a suggestion is applied only when the
 * tenant enabled auto-apply, the confidence reaches the tenant's threshold, AND the similar resolved
 * tickets the model was shown agree: the suggested value is the one most of them carry (a strict
 * plurality). With no similar ticket carrying a value, nothing of that kind is applied. The history
 * records categories but not priorities, so a priority is shown in the note and never applied.
 */
export function suggestionsToApply(input: {
  tenant: { autoApplySuggestions: boolean; autoApplyMinConfidence: number };
  note: { suggested_category: string | null; suggested_priority: string | null; confidence: number };
  /** The similar tickets the prompt really held. */
  similar: readonly SimilarTicket[];
}): { update: RequestUpdate; applied: AppliedSuggestions; why: SuggestionReasons } {
  const { tenant, note } = input;
  const held = heldBack(tenant, note.confidence);
  if (held !== null) {
    const why = (value: string | null) => (value === null ? NONE : held);
    return {
      update: {},
      applied: { category: false, priority: false },
      why: { category: why(note.suggested_category), priority: why(note.suggested_priority) },
    };
  }
  const category =
    note.suggested_category !== null &&
    agrees(
      note.suggested_category,
      input.similar.map((t) => t.category),
    );
  // Resolved tickets in the history carry no priority to agree with.
  const priority = note.suggested_priority !== null && agrees(note.suggested_priority, []);
  return {
    update: {
      ...(category && note.suggested_category ? { category: note.suggested_category } : {}),
      ...(priority && note.suggested_priority ? { priority: note.suggested_priority } : {}),
    },
    applied: { category, priority },
    why: {
      category:
        note.suggested_category === null
          ? NONE
          : category
            ? 'most of the similar tickets carry it'
            : 'the similar tickets do not agree',
      priority: note.suggested_priority === null ? NONE : 'resolved tickets carry no priority to agree with',
    },
  };
}

/** Why nothing may be applied, whatever the suggestion: the tenant's setting or the model's confidence. */
function heldBack(
  tenant: { autoApplySuggestions: boolean; autoApplyMinConfidence: number },
  confidence: number,
): string | null {
  if (!tenant.autoApplySuggestions) return 'auto-apply is off for this tenant';
  if (confidence < tenant.autoApplyMinConfidence)
    return `confidence ${confidence.toFixed(2)} is below the tenant's ${tenant.autoApplyMinConfidence.toFixed(2)}`;
  return null;
}

/** True when `value` is, strictly, the most frequent of `values` (names compared without case). */
export function agrees(value: string, values: ReadonlyArray<string | null>): boolean {
  const counts = new Map<string, number>();
  for (const v of values) {
    const key = v?.trim().toLowerCase();
    if (key) counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const mine = counts.get(value.trim().toLowerCase()) ?? 0;
  if (mine === 0) return false;
  for (const [key, count] of counts) if (key !== value.trim().toLowerCase() && count >= mine) return false;
  return true;
}
