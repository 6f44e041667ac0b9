import {
  type ExplainedTicket,
  findNoteOwner,
  loadNoteDetails,
  type NoteDetails,
  type NoteExplanation,
} from '@ai-agents/db';
import type { Command } from 'commander';
import { AdminError, withContext } from '../context.js';
import { terminalLine } from '../terminal-text.js';

/*
 * `note show <ref>`: what one note was built from (docs/the-note.md, "Explain a note"). The reference
 * is the `ai-agents:<enhancement id>` every note prints in its footer (render-note.ts, noteMarker()).
 */

const REF = /^(?:ai-agents:)?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;

/** The enhancement id of a note reference, or a usage error (exit 2). */
export function parseNoteRef(ref: string): string {
  const match = REF.exec(ref.trim());
  if (!match?.[1])
    throw new AdminError(
      `"${terminalLine(ref.slice(0, 80))}" is not a note reference: expected ai-agents:<id> as printed at the foot of a note`,
      2,
    );
  return match[1].toLowerCase();
}

const time = (d: Date | null) => (d ? `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC` : '-');
const FOUND: Record<ExplainedTicket['foundBy'], string> = {
  words: 'by words',
  meaning: 'by meaning',
  both: 'by words and meaning',
};

function flags(item: { inPrompt: boolean; cited: boolean }): string {
  return [item.inPrompt ? 'in prompt' : 'left out of the prompt', item.cited ? 'cited' : null]
    .filter(Boolean)
    .join(', ');
}

function headerLines(slug: string, n: NoteDetails): string[] {
  const tokens = n.tokensIn === null ? 'no model call' : `${n.tokensIn} in / ${n.tokensOut ?? 0} out`;
  return [
    `Note ai-agents:${n.enhancementId} of tenant ${slug}, request #${terminalLine(n.requestId)} (${n.event})`,
    `  status ${n.status}, created ${time(n.createdAt)}, posted ${time(n.postedAt)}, note id ${n.noteId ?? '-'}`,
    `  model ${n.model ?? '-'}, prompt ${n.promptVersion ?? '-'}, language ${n.language ?? '-'}, budget ${n.budgetState ?? '-'}`,
    `  tokens ${tokens}, cost ${n.costUsd === null ? '-' : `USD ${n.costUsd.toFixed(6)}`}, confidence ${n.confidence ?? '-'}, dropped citations ${n.droppedCitations}`,
    ...(n.fallback
      ? [`  context-only note: ${terminalLine(n.fallbackReason ?? 'the model did not answer')}`]
      : []),
    ...(n.stormLeaderId ? [`  alert-storm follower of ai-agents:${n.stormLeaderId}`] : []),
  ];
}

function contextLines(e: NoteExplanation, subjects: Record<string, string>): string[] {
  const subject = (id: string) => {
    const s = subjects[id];
    return s === undefined ? '(no longer in the history)' : terminalLine(s);
  };
  return [
    `Similar tickets:${e.similar.length === 0 ? ' none' : ''}`,
    ...e.similar.map(
      (t) =>
        `  ${t.rank}. #${terminalLine(t.id)}  score ${t.score.toFixed(4)}  ${FOUND[t.foundBy]}  ${flags(t)}  ${subject(t.id)}`,
    ),
    `Knowledge-base solutions:${e.solutions.length === 0 ? ' none' : ''}`,
    ...e.solutions.map(
      (s) => `  ${s.rank}. solution ${terminalLine(s.id)}  score ${s.score ?? '-'}  ${flags(s)}`,
    ),
    `Assets: ${e.assets.length === 0 ? 'none' : e.assets.map((a) => `${terminalLine(a.name)} (${terminalLine(a.type)})`).join(', ')}`,
    ...(e.unavailable.length > 0 ? [`Unavailable sources: ${e.unavailable.join(', ')}`] : []),
    ...(e.promptTrimmed ? ['The prompt was trimmed to its token budget.'] : []),
  ];
}

function suggestionLines(e: NoteExplanation): string[] {
  if (!e.suggestions) return ['Suggestions: none (no answer from the model)'];
  return [
    'Suggestions:',
    ...(['category', 'priority'] as const).map((kind) => {
      const s = e.suggestions?.[kind];
      if (!s) return `  ${kind}: -`;
      const value = s.value === null ? 'none' : `"${terminalLine(s.value)}"`;
      return `  ${kind} ${value}: ${s.applied ? 'applied' : 'not applied'} (${terminalLine(s.why)})`;
    }),
  ];
}

function exchangeLines(slug: string, n: NoteDetails): string[] {
  if (!n.exchange) {
    const why =
      n.keepLlmIoDays > 0
        ? `none kept for this note (the tenant keeps them ${n.keepLlmIoDays} days)`
        : `not kept (tenant llm ${slug} --keep-llm-io <days> keeps them)`;
    return [`Model input and output: ${why}`];
  }
  const x = n.exchange;
  return [
    `Model input and output (kept ${n.keepLlmIoDays} days from ${time(x.createdAt)}):`,
    `--- sent to the model (redacted)${x.promptTruncated ? ', truncated' : ''} ---`,
    x.prompt,
    `--- the model's answer${x.answerTruncated ? ', truncated' : ''} ---`,
    x.answer ?? '(no answer)',
    '---',
  ];
}

/** The note as an operator reads it. */
export function noteText(slug: string, n: NoteDetails): string {
  const e = n.explanation;
  const stages = e ? (e.stages ?? []).map(({ stage, ms }) => `${stage} ${ms}`).join(', ') : '';
  return [
    ...headerLines(slug, n),
    ...(e
      ? [
          ...contextLines(e, n.subjects),
          ...suggestionLines(e),
          `Stage timings (ms): ${stages || '-'}; total ${n.latencyMs ?? '-'}`,
        ]
      : ['What it was built from: not recorded (posted before note explanations, or not posted)']),
    ...exchangeLines(slug, n),
  ].join('\n');
}

export function registerNoteCommands(program: Command): void {
  const note = program.command('note').description('look into the notes ai-agents wrote');
  note
    .command('show <ref>')
    .description(
      'what a note was built from: similar tickets and solutions (score, how found), assets, suggestions, model, tokens, cost, timings',
    )
    .action(async (ref: string, _opts: unknown, command: Command) => {
      const id = parseNoteRef(ref);
      await withContext(command, async (ctx) => {
        const unknown = new AdminError(`no note with reference ai-agents:${id}`);
        const owner = await findNoteOwner(ctx.database.db, id);
        if (!owner) throw unknown;
        const details = await loadNoteDetails({ db: ctx.database.db, tenantId: owner.tenantId }, id);
        if (!details) throw unknown;
        ctx.print(noteText(owner.slug, details), { tenant: owner.slug, ...details });
      });
    });
}
