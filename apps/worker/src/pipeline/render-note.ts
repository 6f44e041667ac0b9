import { truncate } from '@ai-agents/servicedesk';
import type { Asset, GatheredContext, SimilarTicket, Solution } from './context-types.js';
import type { NoteOutcome } from './generate-note.js';
import type { SdpLinks } from './sdp-links.js';

/** Text every note carries; a retry finds an already-posted note by it (see post-note.ts). */
export function noteMarker(enhancementId: string): string {
  return `ai-agents:${enhancementId}`;
}

const ENTITIES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);
}

function link(href: string, text: string): string {
  return `<a href="${escapeHtml(href)}" target="_blank" rel="noopener noreferrer">${escapeHtml(text)}</a>`;
}

/** What the note is about. A storm follower points at the note of the incident's first ticket. */
export type NoteShape =
  | {
      kind: 'enhancement';
      outcome: NoteOutcome;
      context: GatheredContext;
      /** True when the suggested category/priority were written to the ticket. */
      suggestionsApplied?: boolean;
      /** Which suggestions were written to the ticket; without it, suggestionsApplied says for both. */
      applied?: { category: boolean; priority: boolean };
      /** Set when the description was cut before the LLM saw it: its full and its shown length. */
      truncated?: { total: number; shown: number };
    }
  | { kind: 'storm_follower'; leaderRequestId: string; leaderNoteUrl: string };

export interface NoteInput {
  enhancementId: string;
  shape: NoteShape;
  links: SdpLinks;
  /** The signed feedback link (without the helpful=yes|no choice); null leaves the links out. */
  feedbackUrl: string | null;
}

function section(title: string, body: string): string {
  return `<p><b>${escapeHtml(title)}</b></p>${body}`;
}

function similarSection(tickets: SimilarTicket[], links: SdpLinks): string {
  if (tickets.length === 0) return '<p><b>Similar resolved tickets:</b> no similar past tickets found.</p>';
  const items = tickets.map(
    (t) =>
      `<li>${link(links.request(t.externalId), `#${t.externalId}`)}${t.byMeaning ? ' <i>(found by meaning)</i>' : ''} ${escapeHtml(truncate(t.subject, 160))}${
        t.resolution ? ` — <i>resolution:</i> ${escapeHtml(truncate(t.resolution, 300))}` : ''
      }</li>`,
  );
  return section('Similar resolved tickets', `<ul>${items.join('')}</ul>`);
}

function solutionsSection(solutions: Solution[], links: SdpLinks): string {
  if (solutions.length === 0) return '';
  const items = solutions.map(
    (s) =>
      `<li>${link(links.solution(s.id), truncate(s.title, 160))}${
        s.snippet ? ` — ${escapeHtml(truncate(s.snippet, 240))}` : ''
      }</li>`,
  );
  return section('Knowledge-base solutions', `<ul>${items.join('')}</ul>`);
}

function assetsSection(assets: Asset[]): string {
  if (assets.length === 0) return '';
  const items = assets.map((a) => {
    const facts = [a.type, a.ip ? `IP ${a.ip}` : null, a.owner ? `owner ${a.owner}` : null, a.details ?? null]
      .filter((f): f is string => Boolean(f))
      .map((f) => escapeHtml(truncate(f, 160)));
    return `<li><b>${escapeHtml(a.name)}</b>: ${facts.join(', ')}</li>`;
  });
  return section('Assets mentioned', `<ul>${items.join('')}</ul>`);
}

function unavailableLine(context: GatheredContext): string {
  if (context.unavailable.length === 0) return '';
  const text = context.unavailable.map((s) => `${s} unavailable`).join('; ');
  return `<p><i>${escapeHtml(text.charAt(0).toUpperCase() + text.slice(1))}.</i></p>`;
}

function footer(input: NoteInput, extra: string[]): string {
  const parts = [
    "Written by ai-agents from this client's tickets and knowledge base; verify before acting",
    ...extra,
    `Ref ${escapeHtml(noteMarker(input.enhancementId))}`,
  ];
  if (input.feedbackUrl) {
    const join = input.feedbackUrl.includes('?') ? '&' : '?';
    parts.push(
      `Was this note helpful? ${link(`${input.feedbackUrl}${join}helpful=yes`, 'Yes')} / ${link(`${input.feedbackUrl}${join}helpful=no`, 'No')}`,
    );
  }
  return `<hr><p><small>${parts.join(' · ')}</small></p>`;
}

function enhancementBody(shape: Extract<NoteShape, { kind: 'enhancement' }>, input: NoteInput): string[] {
  const { outcome, context } = shape;
  const parts: string[] = [];
  if (shape.truncated) {
    parts.push(
      `<p><i>The description is ${shape.truncated.total} characters long; only the first ${shape.truncated.shown} were used.</i></p>`,
    );
  }
  if (outcome.kind === 'ai') {
    const { note } = outcome;
    // The one-line summary comes first: it is what the ticket list preview shows.
    parts.push(`<p><b>AI investigation:</b> ${escapeHtml(truncate(note.summary, 400))}</p>`);
    if (note.likely_cause) parts.push(`<p><b>Likely cause:</b> ${escapeHtml(note.likely_cause)}</p>`);
    if (note.next_steps.length > 0)
      parts.push(
        section('Next steps', `<ol>${note.next_steps.map((s) => `<li>${escapeHtml(s)}</li>`).join('')}</ol>`),
      );
    // With an AI answer, show only what it relied on: a citation is the model's claim of relevance.
    const cited = new Set(note.cited_ticket_ids);
    const citedSolutions = new Set(note.cited_solution_ids);
    parts.push(
      similarSection(
        context.similar.filter((t) => cited.has(t.externalId)),
        input.links,
      ),
    );
    parts.push(
      solutionsSection(
        context.solutions.filter((s) => citedSolutions.has(s.id)),
        input.links,
      ),
    );
    parts.push(assetsSection(context.assets));
    const applied = shape.applied ?? {
      category: Boolean(shape.suggestionsApplied),
      priority: Boolean(shape.suggestionsApplied),
    };
    const state = (done: boolean) => (done ? 'applied to this ticket' : 'not applied');
    const suggested = [
      note.suggested_category
        ? { text: `category <b>${escapeHtml(note.suggested_category)}</b>`, done: applied.category }
        : null,
      note.suggested_priority
        ? { text: `priority <b>${escapeHtml(note.suggested_priority)}</b>`, done: applied.priority }
        : null,
    ].filter((s) => s !== null);
    if (suggested.length > 0) {
      // One state for all when they agree (the usual case), else one per suggestion.
      const same = suggested.every((s) => s.done === suggested[0]?.done);
      parts.push(
        same
          ? `<p><b>Suggested:</b> ${suggested.map((s) => s.text).join(', ')} (${state(Boolean(suggested[0]?.done))})</p>`
          : `<p><b>Suggested:</b> ${suggested.map((s) => `${s.text} (${state(s.done)})`).join(', ')}</p>`,
      );
    }
  } else {
    const why =
      outcome.kind === 'budget_exhausted'
        ? "AI summary skipped: this client's monthly AI budget is exhausted"
        : `AI summary unavailable: ${outcome.reason}`;
    parts.push(`<p><b>Context for this ticket</b> (${escapeHtml(why)})</p>`);
    // Without an AI answer, everything that was found, so the technician still starts informed.
    parts.push(similarSection(context.similar, input.links));
    parts.push(solutionsSection(context.solutions, input.links));
    parts.push(assetsSection(context.assets));
  }
  parts.push(unavailableLine(context));
  return parts.filter(Boolean);
}

/**
 * The internal note as ServiceDesk Plus shows it to technicians (HTML): a one-line summary, sections,
 * links into the tenant's portal, and a footer with the reference and the feedback links. Every piece
 * of text from the ticket, the history or the LLM is escaped: none of it may become markup.
 */
export function renderNote(input: NoteInput): string {
  const { shape } = input;
  if (shape.kind === 'storm_follower') {
    const body = `<p><b>Part of an ongoing incident:</b> this ticket matches request ${link(
      input.links.request(shape.leaderRequestId),
      `#${shape.leaderRequestId}`,
    )}, which already has an AI investigation: ${link(shape.leaderNoteUrl, 'read that note')}. No separate analysis was made.</p>`;
    return `<div>${body}\n${footer(input, [])}</div>`;
  }
  const confidence =
    shape.outcome.kind === 'ai' ? [`confidence ${Math.round(shape.outcome.note.confidence * 100)}%`] : [];
  return `<div>${[...enhancementBody(shape, input), footer(input, confidence)].join('\n')}</div>`;
}
