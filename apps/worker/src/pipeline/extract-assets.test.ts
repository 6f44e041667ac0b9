import { describe, expect, it } from 'vitest';
import { extractAssetMentions } from './extract-assets.js';

describe('extractAssetMentions', () => {
  it('finds IPv4 addresses, hostnames, FQDNs and asset tags', () => {
    const text =
      'Users on 10.20.30.40 cannot reach srv-fs01 or fs02.corp.example.com since 9am. Laptop AST-004521 and PC1234 too.';
    const { ips, names } = extractAssetMentions(text);
    expect(ips).toEqual(['10.20.30.40']);
    expect(names).toEqual(
      expect.arrayContaining(['srv-fs01', 'fs02.corp.example.com', 'ast-004521', 'pc1234']),
    );
  });

  it('ignores e-mail domains, version-like and out-of-range numbers, quantities and plain words', () => {
    const { ips, names } = extractAssetMentions(
      'Mail from anna@contoso.com: Outlook 16.0.1 needs 10gb, printer 300.1.1.1 broke at 5pm',
    );
    expect(ips).toEqual([]);
    expect(names).not.toContain('contoso.com');
    expect(names).not.toContain('10gb');
    expect(names).not.toContain('5pm');
    expect(names).not.toContain('printer');
  });

  it('de-duplicates case-insensitively and caps the number of mentions', () => {
    const many = Array.from({ length: 80 }, (_, i) => `host${i}`).join(' ');
    expect(extractAssetMentions('SRV-01 srv-01 Srv-01').names).toEqual(['srv-01']);
    expect(extractAssetMentions(many).names).toHaveLength(50);
  });
});
