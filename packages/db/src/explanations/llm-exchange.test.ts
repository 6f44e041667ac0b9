import { describe, expect, it } from 'vitest';
import { boundExplanation, type NoteExplanation } from './explanation.js';
import { boundText, MAX_LLM_IO_BYTES, TRUNCATION_MARK } from './llm-exchange.js';

describe('the bounds of what a note keeps', () => {
  it('keeps a text within the bound whole, and cuts a longer one to the bound, marked', () => {
    expect(boundText('short')).toEqual({ text: 'short', truncated: false });
    const long = boundText('x'.repeat(MAX_LLM_IO_BYTES + 1));
    expect(long.truncated).toBe(true);
    expect(Buffer.byteLength(long.text)).toBe(MAX_LLM_IO_BYTES);
    expect(long.text.endsWith(TRUNCATION_MARK)).toBe(true);
  });

  it('never splits a character of several bytes at the cut', () => {
    // "ü" is two bytes, "€" three: wherever the cut falls, the text stays valid UTF-8 and within the bound.
    for (const text of ['ü'.repeat(40), '€'.repeat(40), `a${'€'.repeat(40)}`]) {
      const cut = boundText(text, 64);
      expect(cut.truncated).toBe(true);
      expect(Buffer.byteLength(cut.text)).toBeLessThanOrEqual(64);
      expect(cut.text).not.toContain('\uFFFD');
    }
  });

  it('caps the explanation: lists, ids and reasons', () => {
    const many: NoteExplanation = {
      similar: Array.from({ length: 50 }, (_, i) => ({
        id: `${i}`.repeat(100),
        rank: i + 1,
        score: 1,
        foundBy: 'words' as const,
        inPrompt: true,
        cited: false,
      })),
      solutions: [],
      assets: [],
      unavailable: [],
      promptTrimmed: false,
      suggestions: {
        category: { value: 'c'.repeat(1000), applied: false, why: 'w'.repeat(1000) },
        priority: { value: null, applied: false, why: 'none' },
      },
      stages: [{ stage: 'llm', ms: 12.345 }],
    };
    const bounded = boundExplanation(many);
    expect(bounded.similar).toHaveLength(20);
    expect(bounded.similar[0]?.id.length).toBe(64);
    expect(bounded.suggestions?.category.why.length).toBe(200);
    expect(bounded.stages).toEqual([{ stage: 'llm', ms: 12.3 }]);
    expect(JSON.stringify(bounded).length).toBeLessThan(8_000);
  });
});
