import { describe, expect, it } from 'vitest';
import { HTML_INPUT_LIMIT, htmlToText, ticketHtmlToText, truncate } from './ticket-text.js';

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

  it('keeps an unclosed < as text and reads <br> with attributes as a line break', () => {
    expect(htmlToText('if a < b then<br class="x">stop')).toBe('if a < b then\nstop');
    expect(htmlToText('<p>one</p ><div>two</div>')).toBe('one\ntwo');
    expect(htmlToText('&lt;script&gt; is text')).toBe('<script> is text');
  });

  it('cuts the HTML to its bound before parsing it', () => {
    const text = ticketHtmlToText(`<p>${'word '.repeat(200_000)}</p>`);
    expect(text.length).toBeLessThanOrEqual(HTML_INPUT_LIMIT);
    expect(text.startsWith('word word')).toBe(true);
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
