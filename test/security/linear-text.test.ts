import vm from 'node:vm';
import { htmlToText } from '@ai-agents/servicedesk';
import { parseTicketRules, stripBoilerplate, ticketRuleMatcher } from '@ai-agents/shared';
import { describe, expect, it } from 'vitest';
import { splitText } from '../../apps/api/src/history/csv-history.js';
import { normaliseSubject } from '../../apps/worker/src/pipeline/alert-storm.js';
import { detectLanguage } from '../../apps/worker/src/pipeline/detect-language.js';
import { extractAssetMentions } from '../../apps/worker/src/pipeline/extract-assets.js';
import { kbKeywords } from '../../apps/worker/src/pipeline/knowledge-base.js';
import { createRedactor } from '../../apps/worker/src/pipeline/redact-pii.js';

/**
 * Every transform that reads text from outside (ticket HTML and text, history, solutions, subjects)
 * gets 1 MB of each pattern known to make backtracking regexes or naive scanners quadratic. Linear
 * code takes milliseconds to a few hundred on a busy machine; quadratic code takes minutes on 1 MB, so
 * a 5 s bound cannot flake and cannot pass by luck. The call runs under a vm timeout, which interrupts
 * a runaway regex, so a regression fails in 5 s instead of hanging the suite.
 */
const SIZE = 1_000_000;
const BOUND_MS = 5_000;

const PATTERNS = [
  // markup: unclosed tags, comments, CDATA sections, scripts and styles
  '<',
  '<a ',
  '<br',
  '</',
  '<!--',
  '<![CDATA[',
  '<script',
  '<style>',
  '<script></scrip',
  '&amp',
  '\u2039',
  // runs of one character class: what an e-mail, phone, card or IBAN pattern starts with
  'a',
  'A',
  '1',
  ' ',
  '\n \n',
  'a.',
  'a-',
  'a@',
  '1-',
  '1 ',
  '+1',
  '(1)',
  'AB12',
  'a1',
  '1.1.',
  'a@a.',
  'f0',
  // labels that start a secret
  'password:',
  'password: ',
  'token is ',
  "password='",
  // e-mail boilerplate: sign-offs, reply headers, header blocks, separators, quoted lines
  'Regards,\n',
  'On a wrote:\n',
  'From: a\nTo: b\n',
  '-- - -\n',
  '\n> ',
];

// The tenant's rules on a ticket whose fields hold the text: every operator, its value the text's own
// first 249 characters and one that differs (the longest a rule may hold): a near-miss at every
// position, what makes a naive substring search quadratic.
const ticketRules = (text: string) => {
  const near = `${text.slice(0, 249)}\u0000`;
  const rules = ['is', 'contains', 'starts_with', 'ends_with', 'in'].map((op) => ({
    field: 'description',
    [op]: op === 'is' ? near : [near],
  }));
  const match = ticketRuleMatcher(parseTicketRules({ skip: rules, opt_out_requesters: ['@a.example'] }));
  return match({ description: text, requester: { email_id: text } });
};

const TRANSFORMS: Record<string, (text: string) => unknown> = {
  htmlToText,
  redact: (text) => createRedactor().redact(text),
  extractAssetMentions,
  normaliseSubject,
  detectLanguage,
  stripBoilerplate,
  kbKeywords: (text) => kbKeywords(text, text),
  splitText,
  ticketRules,
};

function within(ms: number, fn: () => unknown): number {
  const started = performance.now();
  vm.runInNewContext('fn()', { fn }, { timeout: ms });
  return performance.now() - started;
}

describe('text transforms run in linear time on hostile input', () => {
  for (const [name, transform] of Object.entries(TRANSFORMS)) {
    it(`${name}: 1 MB of each adversarial pattern within ${BOUND_MS / 1000} s`, () => {
      for (const pattern of PATTERNS) {
        const text = pattern.repeat(Math.ceil(SIZE / pattern.length)).slice(0, SIZE);
        let ms: number;
        try {
          ms = within(BOUND_MS, () => transform(text));
        } catch (error) {
          throw new Error(`${name} on 1 MB of ${JSON.stringify(pattern)}: ${(error as Error).message}`);
        }
        expect(ms, `${name} on ${JSON.stringify(pattern)}`).toBeLessThan(BOUND_MS);
      }
    }, 600_000);
  }
});
