import { describe, expect, it } from 'vitest';
import { htmlToText, truncate } from './ticket-text.js';

describe('htmlToText on descriptions ServiceDesk Plus really sends', () => {
  it('keeps the text of CDATA sections, even when they hold markup', () => {
    expect(htmlToText('<div><![CDATA[Printer <b>PRN-3</b> is jammed]]></div>')).toBe(
      'Printer PRN-3 is jammed',
    );
  });

  it('drops comments, scripts and styles', () => {
    expect(htmlToText('<!-- x > y --><style>p{}</style><p>VPN down</p><script>alert(1)</script>')).toBe(
      'VPN down',
    );
  });

  it('reads null and empty descriptions as no text', () => {
    expect(htmlToText(null)).toBe('');
    expect(htmlToText(undefined)).toBe('');
  });

  it('truncates with an ellipsis at the limit', () => {
    expect(truncate('x'.repeat(50), 10)).toHaveLength(10);
    expect(truncate('short', 10)).toBe('short');
  });
});
