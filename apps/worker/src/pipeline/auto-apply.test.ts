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
      why: {
        category: 'most of the similar tickets carry it',
        priority: 'the model suggested none (or one outside the taxonomy)',
      },
    });
    const disagreed = suggestionsToApply({
      tenant,
      note: note('Network', null, 1),
      similar: similar('Email', 'Email', 'Network'),
    });
    expect(disagreed.applied.category).toBe(false);
    expect(disagreed.why.category).toBe('the similar tickets do not agree');
  });

  it('is off when there are no similar tickets, or none with a value', () => {
    expect(suggestionsToApply({ tenant, note: note('Email', 'Urgent', 1), similar: [] }).update).toEqual({});
    expect(
      suggestionsToApply({ tenant, note: note('Email', null, 1), similar: similar(null, null) }).update,
    ).toEqual({});
  });

  it('never applies a priority: the history records none to agree with', () => {
    const decision = suggestionsToApply({ tenant, note: note(null, 'Urgent', 1), similar: similar('Email') });
    expect(decision.applied.priority).toBe(false);
    expect(decision.why.priority).toBe('resolved tickets carry no priority to agree with');
  });

  it('still needs the tenant to opt in and the confidence threshold', () => {
    const off = suggestionsToApply({
      tenant: { ...tenant, autoApplySuggestions: false },
      note: note('Email', null),
      similar: similar('Email'),
    });
    expect(off.update).toEqual({});
    expect(off.why.category).toBe('auto-apply is off for this tenant');
    const unsure = suggestionsToApply({ tenant, note: note('Email', null, 0.5), similar: similar('Email') });
    expect(unsure.update).toEqual({});
    expect(unsure.why.category).toBe(
      `confidence 0.50 is below the tenant's ${tenant.autoApplyMinConfidence.toFixed(2)}`,
    );
  });

  it('agreement is a strict plurality; a tie is no agreement', () => {
    expect(agrees('Email', ['Email', 'Network'])).toBe(false);
    expect(agrees('Email', ['Email', 'Email', 'Network'])).toBe(true);
    expect(agrees('Email', ['Network'])).toBe(false);
  });
});
