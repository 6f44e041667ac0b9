import { accountsUrlFor } from '@ai-agents/servicedesk';
import { describe, expect, it } from 'vitest';

describe('accountsUrlFor', () => {
  it('maps each data centre to its Zoho accounts server', () => {
    expect(accountsUrlFor('us')).toBe('https://accounts.zoho.com');
    expect(accountsUrlFor('EU ')).toBe('https://accounts.zoho.eu');
    expect(accountsUrlFor('au')).toBe('https://accounts.zoho.com.au');
    expect(accountsUrlFor('ca')).toBe('https://accounts.zohocloud.ca');
    expect(accountsUrlFor('cn')).toBe('https://accounts.zoho.com.cn');
  });

  it('names the valid codes when given an unknown one', () => {
    expect(() => accountsUrlFor('de')).toThrow(
      'Unknown Zoho data centre "de"; expected one of: us, eu, in, au, jp, cn, ca, uk, sa',
    );
    expect(() => accountsUrlFor('toString')).toThrow(/Unknown Zoho data centre/);
  });
});
