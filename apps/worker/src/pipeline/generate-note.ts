import type { SimilarTicket } from '@ai-agents/db';
import type OpenAI from 'openai';
import { z } from 'zod';
import { truncate } from './ticket-text.js';

/** What the LLM must return; validated on the way back, never trusted. */
export const noteSchema = z.object({
  summary: z.string().min(1).max(2_000),
  likely_cause: z.string().max(2_000),
  next_steps: z.array(z.string().min(1).max(500)).max(8),
  cited_ticket_ids: z.array(z.string()).max(10),
  confidence: z.enum(['low', 'medium', 'high']),
});

export type GeneratedNote = z.infer<typeof noteSchema>;

const NOTE_JSON_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['summary', 'likely_cause', 'next_steps', 'cited_ticket_ids', 'confidence'],
  properties: {
    summary: { type: 'string', description: 'One or two sentences: what the requester needs.' },
    likely_cause: { type: 'string', description: 'The most probable cause, or "unknown".' },
    next_steps: { type: 'array', items: { type: 'string' }, description: 'At most 5 concrete steps.' },
    cited_ticket_ids: {
      type: 'array',
      items: { type: 'string' },
      description:
        'Ids of the provided similar tickets that support the answer. Only ids given in the context.',
    },
    confidence: { type: 'string', enum: ['low', 'medium', 'high'] },
  },
} as const;

const SYSTEM_PROMPT = [
  'You help IT service-desk technicians of a managed service provider triage a new ticket.',
  'Answer only from the ticket and the context provided. Never invent ticket ids, people, systems or facts.',
  'Cite a similar ticket only by an id shown as [ticket:ID] in the context, and only if it supports your answer.',
  'If the context does not help, say so and keep the confidence low. Be brief and concrete.',
].join(' ');

export interface NoteInput {
  subject: string;
  description: string;
  similar: SimilarTicket[];
}

export type NoteOutcome =
  | {
      kind: 'ai';
      note: GeneratedNote;
      model: string;
      tokensIn: number | null;
      tokensOut: number | null;
      /** Cited ids the model returned that were not in its context: dropped, and counted. */
      droppedCitations: string[];
    }
  | { kind: 'fallback'; reason: string };

export function buildPrompt(input: NoteInput): string {
  const lines = [
    'New ticket',
    `Subject: ${truncate(input.subject, 300)}`,
    `Description: ${truncate(input.description, 4_000)}`,
    '',
  ];
  if (input.similar.length === 0) {
    lines.push('Similar resolved tickets of this client: none found.');
  } else {
    lines.push('Similar resolved tickets of this client:');
    for (const t of input.similar) {
      lines.push(
        `[ticket:${t.externalId}] ${truncate(t.subject, 200)}${t.category ? ` (category: ${t.category})` : ''} — resolution: ${truncate(t.resolution || 'not recorded', 600)}`,
      );
    }
  }
  return lines.join('\n');
}

/**
 * Asks the LLM for the note. Never throws: after the SDK's own retries (429, 5xx, timeouts) and up to
 * `maxInvalidRetries` re-asks for unusable output, it returns a fallback so the job can still post
 * the context it gathered.
 */
export async function generateNote(
  llm: OpenAI,
  input: NoteInput,
  options: { model: string; maxInvalidRetries: number },
): Promise<NoteOutcome> {
  const prompt = buildPrompt(input);
  let reason = 'no answer';
  for (let attempt = 0; attempt <= options.maxInvalidRetries; attempt++) {
    let completion: OpenAI.Chat.Completions.ChatCompletion;
    try {
      completion = await llm.chat.completions.create({
        model: options.model,
        temperature: 0.2,
        max_completion_tokens: 800,
        messages: [
          { role: 'system', content: SYSTEM_PROMPT },
          { role: 'user', content: prompt },
        ],
        response_format: {
          type: 'json_schema',
          json_schema: { name: 'technician_note', strict: true, schema: NOTE_JSON_SCHEMA },
        },
      });
    } catch (error) {
      return { kind: 'fallback', reason: `LLM request failed: ${describeLlmError(error)}` };
    }
    const parsed = parseNote(completion.choices[0]?.message?.content);
    if (!parsed.ok) {
      reason = `LLM output was unusable: ${parsed.reason}`;
      continue;
    }
    const provided = new Set(input.similar.map((t) => t.externalId));
    const cited = [...new Set(parsed.note.cited_ticket_ids)];
    return {
      kind: 'ai',
      note: { ...parsed.note, cited_ticket_ids: cited.filter((id) => provided.has(id)) },
      model: completion.model || options.model,
      tokensIn: completion.usage?.prompt_tokens ?? null,
      tokensOut: completion.usage?.completion_tokens ?? null,
      droppedCitations: cited.filter((id) => !provided.has(id)),
    };
  }
  return { kind: 'fallback', reason };
}

function parseNote(
  content: string | null | undefined,
): { ok: true; note: GeneratedNote } | { ok: false; reason: string } {
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
  return { ok: true, note: result.data };
}

function describeLlmError(error: unknown): string {
  const status = (error as { status?: number }).status;
  const name = (error as Error).name ?? 'Error';
  return status ? `${name} (HTTP ${status})` : name;
}
