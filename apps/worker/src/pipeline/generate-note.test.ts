import type OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { buildPrompt, estimateTokens, PROMPT_VERSION, type Taxonomy } from './build-prompt.js';
import type { GatheredContext } from './context-types.js';
import { type GeneratedNote, generateNote } from './generate-note.js';
import { createRedactor, noRedaction } from './redact-pii.js';

const taxonomy: Taxonomy = { categories: ['Email', 'Network'], priorities: ['Low', 'High'] };
const prices = { 'gpt-4o-mini': { input: 0.15, output: 0.6 } };

const context: GatheredContext = {
  similar: [
    {
      externalId: '9001',
      subject: 'Outlook password loop',
      resolution: 'Cleared credentials.',
      category: 'Email',
      score: 1,
    },
    {
      externalId: '9002',
      subject: 'Outlook asks again',
      resolution: 'Modern auth key.',
      category: 'Email',
      score: 0.5,
    },
  ],
  solutions: [{ id: '77', title: 'Reset Outlook profile', snippet: 'Mail → Show Profiles' }],
  assets: [],
  unavailable: [],
};

function prompt(overrides: Partial<Parameters<typeof buildPrompt>[0]> = {}) {
  return buildPrompt({
    subject: 'Outlook keeps asking for password',
    description:
      'Since the migration Outlook asks for my password. Call me on +44 20 7946 0958, jane@contoso.com.',
    context,
    language: { note: 'en', ticket: 'en', from: 'ticket' },
    taxonomy,
    redactor: createRedactor(),
    tokenBudget: 3_000,
    ...overrides,
  });
}

/** An LLM that answers `note`, whatever it is asked, and reports usage like OpenAI does. */
function llmAnswering(note: Partial<GeneratedNote>): OpenAI {
  const full: GeneratedNote = {
    summary: 'Outlook password prompts',
    likely_cause: 'Cached credentials',
    next_steps: ['Clear credentials'],
    cited_ticket_ids: [],
    cited_solution_ids: [],
    suggested_category: null,
    suggested_priority: null,
    confidence: 0.9,
    language: 'en',
    ...note,
  };
  const create = async () => ({
    model: 'gpt-4o-mini-2024-07-18',
    choices: [{ message: { content: JSON.stringify(full) } }],
    usage: { prompt_tokens: 1_000, completion_tokens: 200 },
  });
  return { chat: { completions: { create } } } as unknown as OpenAI;
}

const options = { model: 'gpt-4o-mini', maxInvalidRetries: 0, taxonomy, prices };

describe('grounding: citations and suggestions the context does not support are dropped', () => {
  it('drops invented ticket and solution ids and counts them', async () => {
    const outcome = await generateNote(
      llmAnswering({ cited_ticket_ids: ['9001', '4242', '9001'], cited_solution_ids: ['77', '999'] }),
      prompt(),
      options,
    );
    expect(outcome.kind).toBe('ai');
    if (outcome.kind !== 'ai') return;
    expect(outcome.note.cited_ticket_ids).toEqual(['9001']);
    expect(outcome.note.cited_solution_ids).toEqual(['77']);
    expect(outcome.droppedCitations).toEqual(['ticket:4242', 'solution:999']);
  });

  it('cannot cite a ticket that was trimmed out of the prompt by the budget', async () => {
    const long: GatheredContext = {
      ...context,
      similar: context.similar.map((t) => ({ ...t, resolution: 'Long resolution. '.repeat(40) })),
    };
    const tight = prompt({ tokenBudget: 500, description: 'x'.repeat(10_000), context: long });
    expect(tight.trimmed).toBe(true);
    expect(tight.included.similar.length).toBeLessThan(2);
    const outcome = await generateNote(llmAnswering({ cited_ticket_ids: ['9002'] }), tight, options);
    if (outcome.kind !== 'ai') throw new Error('expected an AI answer');
    expect(outcome.note.cited_ticket_ids).toEqual([]);
    expect(outcome.droppedCitations).toEqual(['ticket:9002']);
  });

  it('keeps suggestions from the tenant taxonomy (in its spelling) and drops the rest', async () => {
    const inside = await generateNote(
      llmAnswering({ suggested_category: 'email', suggested_priority: 'High' }),
      prompt(),
      options,
    );
    if (inside.kind !== 'ai') throw new Error('expected an AI answer');
    expect([inside.note.suggested_category, inside.note.suggested_priority]).toEqual(['Email', 'High']);

    const outside = await generateNote(
      llmAnswering({ suggested_category: 'Exchange Online', suggested_priority: 'P1' }),
      prompt(),
      options,
    );
    if (outside.kind !== 'ai') throw new Error('expected an AI answer');
    expect([outside.note.suggested_category, outside.note.suggested_priority]).toEqual([null, null]);
    expect(outside.droppedSuggestions).toEqual(['category:Exchange Online', 'priority:P1']);
  });

  it('records tokens and the estimated cost of the model that answered', async () => {
    const outcome = await generateNote(llmAnswering({}), prompt(), options);
    if (outcome.kind !== 'ai') throw new Error('expected an AI answer');
    expect([outcome.tokensIn, outcome.tokensOut]).toEqual([1_000, 200]);
    expect(outcome.costUsd).toBeCloseTo((1_000 * 0.15 + 200 * 0.6) / 1e6, 12);
  });

  it('falls back when the output never validates', async () => {
    const outcome = await generateNote(llmAnswering({ confidence: 7 }), prompt(), options);
    expect(outcome).toMatchObject({ kind: 'fallback', reason: 'LLM output was unusable: confidence' });
    // The unusable answer is kept for `note show` (where the tenant keeps model I/O).
    expect(outcome.kind === 'fallback' && JSON.parse(outcome.answer ?? '{}').confidence).toBe(7);
  });
});

describe('the prompt', () => {
  it('carries no PII when redaction is on, and the raw text when the tenant turned it off', () => {
    const redacted = prompt().prompt;
    expect(redacted).toContain('[phone 1]');
    expect(redacted).toContain('[email 1]');
    expect(redacted).not.toContain('jane@contoso.com');
    expect(redacted).not.toContain('7946');
    expect(prompt({ redactor: noRedaction }).prompt).toContain('jane@contoso.com');
  });

  it('puts the ticket first and the context in relevance order, and tells the model the language', () => {
    const built = prompt({ language: { note: 'de', ticket: 'de', from: 'ticket' } });
    const text = built.prompt;
    expect(text.indexOf('Subject:')).toBeLessThan(text.indexOf('[ticket:9001]'));
    expect(text.indexOf('[ticket:9001]')).toBeLessThan(text.indexOf('[ticket:9002]'));
    expect(text.indexOf('[ticket:9002]')).toBeLessThan(text.indexOf('[solution:77]'));
    expect(text).toMatch(/^Language: de \(German\)/);
    expect(text).toContain('Allowed categories: Email; Network');
  });

  it("asks for the tenant's fixed language, naming the ticket's, and for its default when unsure", () => {
    const fixed = prompt({ language: { note: 'en', ticket: 'de', from: 'tenant' } }).prompt;
    expect(fixed).toMatch(
      /^Language: en \(English\)\. The technicians read English: .* in English, whatever the language of the ticket \(German\)\./,
    );
    const unsure = prompt({ language: { note: 'fr', ticket: null, from: 'default' } }).prompt;
    expect(unsure).toMatch(/^Language: fr \(French\)\. Please write .* in French\./);
  });

  it('stays within the token budget', () => {
    const big: GatheredContext = {
      ...context,
      similar: Array.from({ length: 50 }, (_, i) => ({
        externalId: String(i),
        subject: `Ticket ${i} ${'word '.repeat(40)}`,
        resolution: 'fixed '.repeat(100),
        category: null,
        score: 1 / (i + 1),
      })),
    };
    const built = buildPrompt({
      subject: 's',
      description: 'd '.repeat(20_000),
      context: big,
      language: { note: 'en', ticket: 'en', from: 'ticket' },
      taxonomy,
      redactor: noRedaction,
      tokenBudget: 1_000,
    });
    expect(estimateTokens(built.prompt)).toBeLessThanOrEqual(1_000);
    expect(built.included.similar.map((t) => t.externalId)).toEqual(
      big.similar.slice(0, built.included.similar.length).map((t) => t.externalId),
    );
    expect(built.included.similar.length).toBeGreaterThan(0);
    expect(PROMPT_VERSION).toMatch(/^note-/);
  });
});

describe('long history text is cut before it is redacted', () => {
  it('a 1 MB resolution becomes one capped, redacted line', () => {
    const resolution = `Mailed jane@contoso.com the fix. ${'x'.repeat(1_000_000)}`;
    const [first] = context.similar;
    if (!first) throw new Error('the fixture has a similar ticket');
    const built = prompt({ context: { ...context, similar: [{ ...first, resolution }] } });
    const line = built.prompt.split('\n').find((l) => l.startsWith('[ticket:9001]')) ?? '';
    expect(line.length).toBeLessThanOrEqual(700);
    // The same address as in the ticket's description, so the same placeholder.
    expect(line).toContain('Mailed [email 1] the fix.');
    expect(built.prompt).not.toContain('jane@contoso.com');
  });
});
