import { describe, expect, it } from 'vitest';
import { knowledgeBasePolicy, parseKnowledgeBaseSetting } from './knowledge-base.js';

const tenant = (edition: 'onprem' | 'msp-cloud', setting = parseKnowledgeBaseSetting('default')) => ({
  ...setting,
  connection: { edition },
});

describe('knowledge-base setting of a tenant', () => {
  it('defaults to off on an MSP account and to all on a single portal', () => {
    expect(knowledgeBasePolicy(tenant('msp-cloud'))).toEqual({ mode: 'off' });
    expect(knowledgeBasePolicy(tenant('onprem'))).toEqual({ mode: 'all' });
  });

  it('takes all, off or a list of topics whatever the edition', () => {
    expect(knowledgeBasePolicy(tenant('msp-cloud', parseKnowledgeBaseSetting(' ALL ')))).toEqual({
      mode: 'all',
    });
    expect(knowledgeBasePolicy(tenant('onprem', parseKnowledgeBaseSetting('off')))).toEqual({ mode: 'off' });
    const topics = parseKnowledgeBaseSetting('Contoso VPN, Network,, network ,Printers');
    expect(topics).toEqual({
      knowledgeBase: 'topics',
      knowledgeBaseTopics: ['Contoso VPN', 'Network', 'Printers'],
    });
    expect(knowledgeBasePolicy(tenant('msp-cloud', topics))).toEqual({
      mode: 'topics',
      topics: ['Contoso VPN', 'Network', 'Printers'],
    });
  });

  it('refuses an empty list, too many topics and an overlong one, naming the problem', () => {
    expect(() => parseKnowledgeBaseSetting(' , ')).toThrow(/all, off, default or a comma-separated list/);
    const many = Array.from({ length: 51 }, (_, i) => `topic ${i}`).join(',');
    expect(() => parseKnowledgeBaseSetting(many)).toThrow(/at most 50 knowledge-base topics, not 51/);
    expect(() => parseKnowledgeBaseSetting('x'.repeat(251))).toThrow(/longer than 250 characters/);
  });
});
