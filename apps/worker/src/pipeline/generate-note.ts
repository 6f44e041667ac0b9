import { estimateCost, type ModelPrice, ResponseTooLargeError } from '@ai-agents/shared';
import type OpenAI from 'openai';
import { z } from 'zod';
import { type BuiltPrompt, SYSTEM_PROMPT, type Taxonomy } from './build-prompt.js';

/** What the LLM must return; validated on the way back, never trusted. */
export const noteSchema = z.object({
  summary: z.string().min(1).max(2_000),
  likely_cause: z.string().max(2_000),
  next_steps: z.array(z.string().min(1).max(500)).max(8),
  cited_ticket_ids: z.array(z.string()).max(10),
  cited_solution_ids: z.array(z.string()).max(10),
  suggested_category: z.string().max(200).nullable(),
  suggested_priority: z.string().max(200).nullable(),
  confidence: z.number().min(0).max(1),
  language: z.string().min(2).max(10),
});

export type GeneratedNote = z.infer<typeof noteSchema>;

// The enum is the first line of defence for the taxonomy (strict structured output cannot leave it);
// very long lists are left to the check after the answer, to keep the schema small.
const MAX_ENUM = 200;

function nullableChoice(values: string[], description: string) {
  return values.length > 0 && values.length <= MAX_ENUM
    ? { anyOf: [{ type: 'string', enum: values }, { type: 'null' }], description }
    : { type: ['string', 'null'], description };
}

export function noteJsonSchema(taxonomy: Taxonomy) {
  return {
    type: 'object',
    additionalProperties: false,
    required: [
      'summary',
      'likely_cause',
      'next_steps',
      'cited_ticket_ids',
      'cited_solution_ids',
      'suggested_category',
      'suggested_priority',
      'confidence',
      'language',
    ],
    properties: {
      summary: { type: 'string', description: 'One sentence: what the requester needs.' },
      likely_cause: { type: 'string', description: 'The most probable cause, or "unknown".' },
      next_steps: { type: 'array', items: { type: 'string' }, description: 'At most 5 concrete steps.' },
      cited_ticket_ids: {
        type: 'array',
        items: { type: 'string' },
        description: 'Ids of the provided similar tickets ([ticket:ID]) that support the answer.',
      },
      cited_solution_ids: {
        type: 'array',
        items: { type: 'string' },
        description: 'Ids of the provided knowledge-base solutions ([solution:ID]) that apply.',
      },
      suggested_category: nullableChoice(taxonomy.categories, 'One of the allowed categories, or null.'),
      suggested_priority: nullableChoice(taxonomy.priorities, 'One of the allowed priorities, or null.'),
      confidence: { type: 'number', minimum: 0, maximum: 1 },
      language: { type: 'string', description: 'ISO 639-1 code of the language the note is written in.' },
    },
  } as const;
}

export interface AiOutcome {
  kind: 'ai';
  note: GeneratedNote;
  model: string;
  tokensIn: number | null;
  tokensOut: number | null;
  costUsd: number | null;
  /** Cited ids the model returned that were not in its context (`ticket:ID`, `solution:ID`): dropped, and counted. */
  droppedCitations: string[];
  /** Suggestions outside the tenant's taxonomy (`category:X`, `priority:Y`): dropped. */
  droppedSuggestions: string[];
  /** The model's answer as it came (kept only where the tenant keeps model I/O). */
  answer?: string;
}

export type NoteOutcome =
  | AiOutcome
  /** `answer`: the last unusable answer, when the model gave one. */
  | { kind: 'fallback'; reason: string; answer?: string }
  | { kind: 'budget_exhausted'; used: number; budget: number };

/** The taxonomy entry equal to `value` ignoring case, in the taxonomy's own spelling; else null. */
function fromTaxonomy(value: string | null, allowed: string[]): string | null {
  if (value === null) return null;
  const wanted = value.trim().toLowerCase();
  return allowed.find((a) => a.toLowerCase() === wanted) ?? null;
}

/**
 * Keeps only what the context supports: citations of ids the prompt contained, and suggestions from
 * the tenant's taxonomy. What is dropped is returned, for the grounding metric.
 */
export function groundNote(
  note: GeneratedNote,
  built: Pick<BuiltPrompt, 'included'>,
  taxonomy: Taxonomy,
): Pick<AiOutcome, 'note' | 'droppedCitations' | 'droppedSuggestions'> {
  const tickets = new Set(built.included.similar.map((t) => t.externalId));
  const solutions = new Set(built.included.solutions.map((s) => s.id));
  const citedTickets = [...new Set(note.cited_ticket_ids)];
  const citedSolutions = [...new Set(note.cited_solution_ids)];
  const category = fromTaxonomy(note.suggested_category, taxonomy.categories);
  const priority = fromTaxonomy(note.suggested_priority, taxonomy.priorities);
  const droppedSuggestions = [
    ...(note.suggested_category !== null && category === null ? [`category:${note.suggested_category}`] : []),
    ...(note.suggested_priority !== null && priority === null ? [`priority:${note.suggested_priority}`] : []),
  ];
  return {
    note: {
      ...note,
      cited_ticket_ids: citedTickets.filter((id) => tickets.has(id)),
      cited_solution_ids: citedSolutions.filter((id) => solutions.has(id)),
      suggested_category: category,
      suggested_priority: priority,
    },
    droppedCitations: [
      ...citedTickets.filter((id) => !tickets.has(id)).map((id) => `ticket:${id}`),
      ...citedSolutions.filter((id) => !solutions.has(id)).map((id) => `solution:${id}`),
    ],
    droppedSuggestions,
  };
}

/**
 * Asks the LLM for the note. Never throws: after the SDK's own retries (429, 5xx, timeouts) and up to
 * `maxInvalidRetries` re-asks for unusable output, it returns a fallback so the job can still post
 * the context it gathered.
 */
export async function generateNote(
  llm: OpenAI,
  built: BuiltPrompt,
  options: {
    model: string;
    maxInvalidRetries: number;
    taxonomy: Taxonomy;
    prices: Readonly<Record<string, ModelPrice>>;
  },
): Promise<NoteOutcome> {
  let reason = 'no answer';
  let answer: string | undefined;
  for (let attempt = 0; attempt <= options.maxInvalidRetries; attempt++) {
    let completion: OpenAI.Chat.Completions.ChatCompletion;
    try {
      completion = await llm.chat.completions.create({
        model: options.model,
        temperature: 0.2,
        max_completion_tokens: 800,
        messages: [
          { role: 'system', content: SYSTEM_PROMPT },
          { role: 'user', content: built.prompt },
        ],
        response_format: {
          type: 'json_schema',
          json_schema: { name: 'technician_note', strict: true, schema: noteJsonSchema(options.taxonomy) },
        },
      });
    } catch (error) {
      return { kind: 'fallback', reason: `LLM request failed: ${describeLlmError(error)}` };
    }
    const content = completion.choices[0]?.message?.content;
    answer = content ?? undefined;
    const parsed = parseNote(content);
    if (!parsed.ok) {
      reason = `LLM output was unusable: ${parsed.reason}`;
      continue;
    }
    const model = completion.model || options.model;
    const tokensIn = completion.usage?.prompt_tokens ?? null;
    const tokensOut = completion.usage?.completion_tokens ?? null;
    return {
      kind: 'ai',
      ...groundNote(parsed.note, built, options.taxonomy),
      model,
      tokensIn,
      tokensOut,
      costUsd: estimateCost(options.prices, model, tokensIn, tokensOut),
      answer: parsed.answer,
    };
  }
  return { kind: 'fallback', reason, ...(answer !== undefined ? { answer } : {}) };
}

function parseNote(
  content: string | null | undefined,
): { ok: true; note: GeneratedNote; answer: string } | { ok: false; reason: string } {
  if (!content) return { ok: false, reason: 'empty content' };
  let json: unknown;
  try {
    json = JSON.parse(content);
  } catch {
    return { ok: false, reason: 'not JSON' };
  }
  const result = noteSchema.safeParse(json);
  if (!result.success)
    return { ok: false, reason: result.error.issues.map((i) => i.path.join('.') || 'root').join(', ') };
  return { ok: true, note: result.data, answer: content };
}

function describeLlmError(error: unknown): string {
  const status = (error as { status?: number }).status;
  const name = (error as Error).name ?? 'Error';
  // The SDK reports a refused oversized answer as a connection error; say what really happened.
  for (let cause: unknown = error, depth = 0; cause instanceof Error && depth < 4; depth++) {
    if (cause instanceof ResponseTooLargeError) return cause.message;
    cause = cause.cause;
  }
  return status ? `${name} (HTTP ${status})` : name;
}
