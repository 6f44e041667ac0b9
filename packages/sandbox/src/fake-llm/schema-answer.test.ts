import { describe, expect, it } from 'vitest';
import { factsFrom } from './prompt-facts.js';
import { answerForSchema } from './schema-answer.js';

const facts = factsFrom(
  'System prompt\nSubject: Disk full on FS01\n[kb-article:KB7] [ticket:T9] [kb-article:KB8]',
);

describe('answerForSchema', () => {
  it('follows $ref, takes the non-null branch of anyOf and respects numeric bounds', () => {
    const schema = {
      type: 'object',
      $defs: {
        Step: {
          type: 'object',
          properties: { action: { type: 'string' }, minutes: { type: 'integer', minimum: 5, maximum: 30 } },
        },
      },
      properties: {
        title: { type: 'string' },
        steps: { type: 'array', items: { $ref: '#/$defs/Step' }, minItems: 2 },
        owner: { anyOf: [{ type: 'null' }, { type: 'string', format: 'email' }] },
        score: { type: 'number', exclusiveMinimum: 1, maximum: 10 },
        tags: { type: ['array', 'null'], items: { type: 'string' }, maxItems: 1 },
        cited_kb_articles_ids: { type: 'array', items: { type: 'string' } },
      },
    };
    expect(answerForSchema(schema, facts)).toEqual({
      title: 'Disk full on FS01',
      steps: [
        { action: 'Disk full on FS01', minutes: 5 },
        { action: 'Disk full on FS01', minutes: 5 },
      ],
      owner: 'requester@sandbox.invalid',
      score: 5.5,
      tags: [expect.stringMatching(/^Check /)],
      cited_kb_articles_ids: ['KB7', 'KB8'],
    });
  });

  it('cites numeric ids as numbers when the items are numbers', () => {
    const numeric = factsFrom('[solution:42] [solution:abc] [solution:7]');
    const schema = {
      type: 'object',
      properties: { cited_solution_ids: { type: 'array', items: { type: 'integer' } } },
    };
    expect(answerForSchema(schema, numeric)).toEqual({ cited_solution_ids: [42, 7] });
  });

  it('keeps strings within minLength and maxLength', () => {
    const schema = {
      type: 'object',
      properties: { short: { type: 'string', maxLength: 4 }, long: { type: 'string', minLength: 200 } },
    };
    const value = answerForSchema(schema, facts) as { short: string; long: string };
    expect(value.short).toHaveLength(4);
    expect(value.long.length).toBeGreaterThanOrEqual(200);
  });
});

describe('answerForSchema: language', () => {
  const schema = { type: 'object', properties: { language: { type: 'string' } } };

  it('echoes the language the prompt asks for', () => {
    const german = factsFrom('Language: de (German). Write in German.\nSubject: Drucker geht nicht');
    expect(answerForSchema(schema, german)).toEqual({ language: 'de' });
  });

  it('answers English when the prompt names no language', () => {
    expect(answerForSchema(schema, facts)).toEqual({ language: 'en' });
  });
});

describe('answerForSchema: grounded in the context, never repeating a label', () => {
  const prompt = [
    'Allowed categories: Desktop Hardware; Email; Network',
    'Subject: Outlook keeps asking for the password',
    '[ticket:41] Password prompt in Outlook (category: Email) — resolution: Recreated the Outlook profile.',
    '[ticket:42] Shared mailbox missing (category: Email) — resolution: Re-added the permission.',
    '[ticket:43] Dock not charging (category: Desktop Hardware) — resolution: Replaced the dock.',
  ].join('\n');
  const schema = {
    type: 'object',
    properties: {
      likely_cause: { type: 'string' },
      root_cause: { type: 'string' },
      next_steps: { type: 'array', items: { type: 'string' } },
      suggested_category: {
        anyOf: [{ type: 'string', enum: ['Desktop Hardware', 'Email', 'Network'] }, { type: 'null' }],
      },
      owner_team: { type: 'string' },
    },
  };

  it("takes the cause from the most similar ticket's resolution and the category the similar tickets carry", () => {
    const answer = answerForSchema(schema, factsFrom(prompt)) as Record<string, unknown>;
    expect(answer.likely_cause).toContain('Recreated the Outlook profile.');
    expect(answer.root_cause).toContain('Recreated the Outlook profile.');
    expect((answer.next_steps as string[])[0]).toContain('Recreated the Outlook profile.');
    expect(answer.suggested_category).toBe('Email');
    // No value starts with its own field's name ("Likely cause: …", "Owner team: …").
    for (const [key, value] of Object.entries(answer)) {
      const label = key.replaceAll('_', ' ');
      expect(String(value).toLowerCase().startsWith(label)).toBe(false);
    }
  });

  it('falls back to the first allowed value and an honest cause when the context backs nothing', () => {
    const bare = factsFrom('Allowed categories: Desktop Hardware; Email\nSubject: Printer jams');
    const answer = answerForSchema(schema, bare) as Record<string, unknown>;
    expect(answer.suggested_category).toBe('Desktop Hardware');
    expect(answer.likely_cause).toMatch(/^Not clear from the context/);
  });
});
