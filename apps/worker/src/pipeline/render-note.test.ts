import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { GatheredContext } from './context-types.js';
import type { NoteOutcome } from './generate-note.js';
import { type NoteInput, noteMarker, renderNote } from './render-note.js';
import { sdpLinks } from './sdp-links.js';

// Golden files: the exact HTML ServiceDesk Plus receives for each shape of note. After a deliberate
// change, regenerate with UPDATE_GOLDEN=1 and review the diff like any other change.
function golden(name: string, html: string): void {
  const url = new URL(`./__golden__/${name}.html`, import.meta.url);
  if (process.env.UPDATE_GOLDEN === '1') writeFileSync(url, `${html}\n`);
  expect(html).toBe(readFileSync(url, 'utf8').replace(/\n$/, ''));
}

const enhancementId = '3f1c2a9e-5b7d-4c1e-9a2b-8d6e4f0a1b2c';
const links = sdpLinks({ sdpBaseUrl: 'https://sdp.contoso.example', sdpAuthType: 'onprem' });
const feedbackUrl = `https://agents.msp.example/v1/feedback?token=contoso.${enhancementId}.${'A'.repeat(43)}`;

const context: GatheredContext = {
  similar: [
    {
      externalId: '9001',
      subject: 'Outlook prompts for password after mailbox migration',
      resolution: 'Cleared cached credentials and re-created the Outlook profile.',
      category: 'Email',
      score: 0.9,
      // Shown because of its meaning, not its words: the technician is told.
      byMeaning: true,
    },
    {
      externalId: '9002',
      subject: 'Outlook password loop <script>alert(1)</script>',
      resolution: 'Enabled modern authentication.',
      category: 'Email',
      score: 0.7,
    },
  ],
  solutions: [
    { id: '77', title: 'Reset the Outlook profile', snippet: 'Control Panel → Mail → Show Profiles…' },
  ],
  assets: [{ name: 'LT-0042', type: 'Laptop', ip: '10.1.2.3', owner: 'Finance', details: 'Windows 11 23H2' }],
  unavailable: [],
};

const ai: NoteOutcome = {
  kind: 'ai',
  model: 'gpt-4o-mini',
  tokensIn: 900,
  tokensOut: 150,
  costUsd: 0.000225,
  droppedCitations: ['ticket:12345'],
  droppedSuggestions: [],
  note: {
    summary: 'Outlook asks for the password again and again since the mailbox moved to Exchange Online.',
    likely_cause: 'Stale cached credentials from the old mailbox server.',
    next_steps: ['Clear the Outlook entries in Credential Manager.', 'Re-create the Outlook profile.'],
    cited_ticket_ids: ['9001'],
    cited_solution_ids: ['77'],
    suggested_category: 'Email',
    suggested_priority: 'Medium',
    confidence: 0.82,
    language: 'en',
  },
};

function render(shape: NoteInput['shape']): string {
  return renderNote({ enhancementId, shape, links, feedbackUrl });
}

describe('note shapes (golden files)', () => {
  it('full: summary first, cited tickets and solutions linked into the portal, assets, suggestions, footer', () => {
    const html = render({ kind: 'enhancement', outcome: ai, context, suggestionsApplied: true });
    golden('full', html);
    expect(html.indexOf('AI investigation')).toBeLessThan(html.indexOf('Likely cause'));
    expect(html).toContain('https://sdp.contoso.example/WorkOrder.do?woMode=viewWO&amp;woID=9001');
    expect(html).not.toContain('#9002');
    expect(html).toMatch(/#9001<\/a> <i>\(found by meaning\)<\/i> Outlook prompts/);
    expect(html).toContain(noteMarker(enhancementId));
  });

  it('no history: says no similar past tickets were found instead of inventing any', () => {
    const empty: GatheredContext = {
      similar: [],
      solutions: [],
      assets: [],
      unavailable: ['knowledge base'],
    };
    const outcome: NoteOutcome = {
      ...ai,
      note: {
        ...ai.note,
        cited_ticket_ids: [],
        cited_solution_ids: [],
        suggested_category: null,
        suggested_priority: null,
      },
    };
    const html = render({ kind: 'enhancement', outcome, context: empty });
    golden('no-history', html);
    expect(html).toContain('no similar past tickets found');
    expect(html).toContain('Knowledge base unavailable');
  });

  it('LLM failed: everything found, the reason, no invented summary; ticket text escaped', () => {
    const html = render({
      kind: 'enhancement',
      outcome: { kind: 'fallback', reason: 'LLM request failed: InternalServerError (HTTP 500)' },
      context,
    });
    golden('llm-failed', html);
    expect(html).toContain('#9002');
    expect(html).not.toContain('<script>');
  });

  it('budget exhausted: context-only, saying why', () => {
    const html = render({
      kind: 'enhancement',
      outcome: { kind: 'budget_exhausted', used: 1_000_000, budget: 1_000_000 },
      context,
    });
    golden('budget-exhausted', html);
    expect(html).toContain('monthly AI budget is exhausted');
  });

  it('storm follower: points at the leader ticket and its note', () => {
    const html = render({
      kind: 'storm_follower',
      leaderRequestId: '100123',
      leaderNoteUrl: 'https://sdp.contoso.example/WorkOrder.do?woMode=viewWO&woID=100123#notes',
    });
    golden('storm-follower', html);
    expect(html).toContain('woID=100123');
  });

  it('Cloud portals get /ui/ links', () => {
    const cloud = sdpLinks({
      sdpBaseUrl: 'https://sdpondemand.manageengine.com/app/itdesk',
      sdpAuthType: 'cloud',
    });
    expect(cloud.request('42')).toBe(
      'https://sdpondemand.manageengine.com/app/itdesk/ui/requests/42/details',
    );
    expect(cloud.solution('7')).toBe(
      'https://sdpondemand.manageengine.com/app/itdesk/ui/solutions/7/details',
    );
  });
});
