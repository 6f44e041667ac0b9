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
        { action: 'Action: Disk full on FS01', minutes: 5 },
        { action: 'Action: Disk full on FS01', minutes: 5 },
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
