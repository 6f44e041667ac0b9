import type { SimilarTicket } from '@ai-agents/db';
import type { NoteOutcome } from './generate-note.js';
import { truncate } from './ticket-text.js';

/** Text every note carries; a retry finds an already-posted note by it (see post-note.ts). */
export function noteMarker(enhancementId: string): string {
  return `ai-agents:${enhancementId}`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * The internal note as ServiceDesk Plus shows it to technicians (HTML). Every piece of text from the
 * ticket, the history or the LLM is escaped: none of it may become markup.
 */
export function renderNote(input: {
  enhancementId: string;
  outcome: NoteOutcome;
  similar: SimilarTicket[];
  /** Set when the description was cut before the LLM saw it: its full and its shown length. */
  truncated?: { total: number; shown: number };
}): string {
  const { outcome } = input;
  const parts: string[] = [];
  if (input.truncated) {
    parts.push(
      `<p><i>The description is ${input.truncated.total} characters long; only the first ${input.truncated.shown} were used.</i></p>`,
    );
  }
  if (outcome.kind === 'ai') {
    const { note } = outcome;
    parts.push(`<p><b>AI investigation</b> (confidence: ${escapeHtml(note.confidence)})</p>`);
    parts.push(`<p><b>Summary:</b> ${escapeHtml(note.summary)}</p>`);
    if (note.likely_cause) parts.push(`<p><b>Likely cause:</b> ${escapeHtml(note.likely_cause)}</p>`);
    if (note.next_steps.length > 0) {
      parts.push(
        `<p><b>Next steps:</b></p><ol>${note.next_steps.map((s) => `<li>${escapeHtml(s)}</li>`).join('')}</ol>`,
      );
    }
  } else {
    parts.push(
      `<p><b>Context for this ticket</b> (AI summary unavailable: ${escapeHtml(outcome.reason)})</p>`,
    );
  }

  const cited = outcome.kind === 'ai' ? new Set(outcome.note.cited_ticket_ids) : null;
  // With an AI answer, list the tickets it relied on; without one, everything that was found.
  const listed = cited ? input.similar.filter((t) => cited.has(t.externalId)) : input.similar;
  if (listed.length === 0) {
    parts.push('<p><b>Similar resolved tickets:</b> no similar past tickets found.</p>');
  } else {
    const items = listed.map(
      (t) =>
        `<li>#${escapeHtml(t.externalId)} ${escapeHtml(truncate(t.subject, 160))}${
          t.resolution ? ` — <i>resolution:</i> ${escapeHtml(truncate(t.resolution, 300))}` : ''
        }</li>`,
    );
    parts.push(`<p><b>Similar resolved tickets:</b></p><ul>${items.join('')}</ul>`);
  }
  parts.push(
    `<p><small>Written by ai-agents from this client's ticket history; verify before acting. Ref ${escapeHtml(noteMarker(input.enhancementId))}</small></p>`,
  );
  return `<div>${parts.join('\n')}</div>`;
}

/**
 * The short note of an alert-storm follower: the same alert as an earlier ticket, which holds the full
 * investigation. No LLM call is made for it.
 */
export function renderStormNote(input: { enhancementId: string; leaderRequestId: string }): string {
  return [
    '<div><p><b>Alert storm</b>: this ticket looks like another instance of the alert in ticket ',
    `#${escapeHtml(input.leaderRequestId)}, which has the full AI investigation. `,
    'Consider linking or merging them.</p>\n',
    `<p><small>Written by ai-agents. Ref ${escapeHtml(noteMarker(input.enhancementId))}</small></p></div>`,
  ].join('');
}
