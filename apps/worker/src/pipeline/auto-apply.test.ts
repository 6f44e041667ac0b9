import { describe, expect, it } from 'vitest';
import { agrees, suggestionsToApply } from './auto-apply.js';

const similar = (...categories: Array<string | null>) =>
  categories.map((category, i) => ({
    externalId: String(i + 1),
    subject: 's',
    resolution: 'r',
    category,
    score: 1,
  }));
const tenant = { autoApplySuggestions: true, autoApplyMinConfidence: 0.8 };
const note = (category: string | null, priority: string | null, confidence = 0.95) => ({
  suggested_category: category,
  suggested_priority: priority,
  confidence,
});

describe('auto-applying suggestions', () => {
  it('needs the similar tickets to agree, not only a confident model', () => {
    expect(
      suggestionsToApply({
        tenant,
        note: note('Email', null),
        similar: similar('Email', 'email', 'Network'),
      }),
    ).toEqual({
      update: { category: 'Email' },
      applied: { category: true, priority: false },
    });
    expect(
      suggestionsToApply({
        tenant,
        note: note('Network', null, 1),
        similar: similar('Email', 'Email', 'Network'),
      }).applied.category,
    ).toBe(false);
  });

  it('is off when there are no similar tickets, or none with a value', () => {
    expect(suggestionsToApply({ tenant, note: note('Email', 'Urgent', 1), similar: [] }).update).toEqual({});
    expect(
      suggestionsToApply({ tenant, note: note('Email', null, 1), similar: similar(null, null) }).update,
    ).toEqual({});
  });

  it('never applies a priority: the history records none to agree with', () => {
    expect(
      suggestionsToApply({ tenant, note: note(null, 'Urgent', 1), similar: similar('Email') }).applied
        .priority,
    ).toBe(false);
  });

  it('still needs the tenant to opt in and the confidence threshold', () => {
    expect(
      suggestionsToApply({
        tenant: { ...tenant, autoApplySuggestions: false },
        note: note('Email', null),
        similar: similar('Email'),
      }).update,
    ).toEqual({});
    expect(
      suggestionsToApply({ tenant, note: note('Email', null, 0.5), similar: similar('Email') }).update,
    ).toEqual({});
  });

  it('agreement is a strict plurality; a tie is no agreement', () => {
    expect(agrees('Email', ['Email', 'Network'])).toBe(false);
    expect(agrees('Email', ['Email', 'Email', 'Network'])).toBe(true);
    expect(agrees('Email', ['Network'])).toBe(false);
  });
});
