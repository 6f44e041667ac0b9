import {
  DISCLAIMERS,
  HEADER_FIELDS,
  HEADER_FROM,
  MARKER_LINE_CHARS,
  MOBILE_FOOTER_WORDS,
  MOBILE_FOOTERS,
  ORIGINAL_MESSAGE_LINES,
  PRINT_FOOTERS,
  REPLY_HEADERS,
  REPLY_VERBS,
  SIGN_OFFS,
  SIGNATURE_MAX_LINES,
} from './boilerplate-markers.js';

/**
 * The most text read; the rest is dropped. Ticket text reaches here from HTML cut to 256 KiB
 * (HTML_INPUT_LIMIT of packages/servicedesk) or from a CSV cell, and the LLM sees 4,000 characters.
 */
export const STRIP_INPUT_LIMIT = 256 * 1024;

// Lines of Outlook's header block ("From:" then "Sent:", "To:", "Subject:") looked at after "From:".
const HEADER_BLOCK_LINES = 4;
const SIGN_OFF_SET = new Set(SIGN_OFFS);
// A name after a sign-off's comma: "Regards, Anna Berg". Capitalised words, few of them.
const MAX_NAME_WORDS = 4;
// A signature's lines are short: a name, a title, a company, a phone number, an address.
const SIGNATURE_LINE_CHARS = 80;
const SENTENCE_WORDS = 5;
// Above a quoted message, fewer letters than this of one's own is "see below" or "FYI": keep the quote.
const MIN_OWN_LETTERS = 20;

type MarkerKind = 'quote' | 'footer';

/** A line as the markers are compared: its head, trimmed, lower-cased, without leading `*` (bold as text). */
function head(line: string): string {
  return line
    .slice(0, MARKER_LINE_CHARS)
    .trim()
    .replace(/^\*+\s*/, '')
    .toLowerCase();
}

/** "On Mon, … Anna Berg <anna@…> wrote:" (and each language's), or "Anna Berg <anna@…> wrote:". */
function isReplyHeader(h: string): boolean {
  // A client's header carries a date or an address; "On Monday I wrote:" in a message does not.
  if (!h.endsWith(':') || !/[\d@]/.test(h)) return false;
  const body = h.slice(0, -1).trimEnd();
  if (REPLY_HEADERS.some((r) => h.startsWith(r.start) && body.includes(` ${r.verb}`))) return true;
  return h.includes('@') && REPLY_VERBS.some((verb) => body.endsWith(` ${verb}`));
}

/** The text without the characters of `chars` at its ends; a loop, where a regex `[…]+$` would backtrack. */
function trimChars(text: string, chars: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && chars.includes(text.charAt(start))) start++;
  while (end > start && chars.includes(text.charAt(end - 1))) end--;
  return text.slice(start, end);
}

/** "-----Original Message-----", "-------- Message d'origine --------", or Outlook's line of underscores. */
function isOriginalMessage(h: string): boolean {
  if (!h.startsWith('--') && !h.startsWith('__')) return false;
  const words = trimChars(h, '-_ \t');
  return words === '' ? h.length >= 10 && trimChars(h, '_') === '' : ORIGINAL_MESSAGE_LINES.has(words);
}

/** The field name of a header line ("von: anna" → "von", "envoyé : lundi" → "envoyé"); null if none. */
function headerField(h: string): string | null {
  const colon = h.indexOf(':');
  return colon > 0 && colon <= 12 ? h.slice(0, colon).trim() : null;
}

/** "From: …" followed within a few lines by "Sent:", "To:" or "Subject:" (in any of the languages). */
function isHeaderBlock(heads: readonly string[], i: number): boolean {
  const from = headerField(heads[i] ?? '');
  if (from === null || !HEADER_FROM.includes(from)) return false;
  for (let j = i + 1; j < Math.min(heads.length, i + 1 + HEADER_BLOCK_LINES); j++) {
    const field = headerField(heads[j] ?? '');
    if (field !== null && HEADER_FIELDS.has(field)) return true;
  }
  return false;
}

function isMobileFooter(h: string): boolean {
  return MOBILE_FOOTERS.some((f) => h.startsWith(f)) && h.split(/\s+/).length <= MOBILE_FOOTER_WORDS;
}

function isDisclaimer(h: string): boolean {
  if (PRINT_FOOTERS.some((f) => h.startsWith(f))) return true;
  return DISCLAIMERS.some(
    (d) => d.openings.some((o) => h.startsWith(o)) && d.words.some((w) => h.includes(w)),
  );
}

/**
 * Where everything after is boilerplate: `quote` for the header of an earlier message (a reply
 * header, a separator, Outlook's header block), `footer` for a signature delimiter, a mobile footer
 * or a disclaimer; null for an ordinary line.
 */
function hardMarker(lines: readonly string[], heads: readonly string[], i: number): MarkerKind | null {
  const h = heads[i] ?? '';
  if (
    isReplyHeader(h) ||
    isReplyHeader(`${h} ${heads[i + 1] ?? ''}`.trim()) || // Gmail wraps a long header over two lines
    isOriginalMessage(h) ||
    isHeaderBlock(heads, i)
  )
    return 'quote';
  if ((lines[i] ?? '').trimEnd() === '--' || isMobileFooter(h) || isDisclaimer(h)) return 'footer';
  return null;
}

/** "Regards", "Mit freundlichen Grüßen!", "Regards, Anna Berg": a closing, alone or with a name. */
function isSignOff(line: string, h: string): boolean {
  const bare = trimChars(h, ' \t,.!;:…-');
  if (SIGN_OFF_SET.has(bare)) return true;
  const comma = h.indexOf(',');
  if (comma < 0 || !SIGN_OFF_SET.has(h.slice(0, comma).trim())) return false;
  const name = line
    .trim()
    .slice(comma + 1)
    .trim()
    .split(/\s+/);
  return name.length <= MAX_NAME_WORDS && name.every((word) => /^\p{Lu}/u.test(word));
}

/** A line a signature block holds (a name, a title, a phone number), not a sentence of the message. */
function isSignatureLine(line: string): boolean {
  const t = line.trim();
  if (t.length > SIGNATURE_LINE_CHARS || /[?!]$/.test(t)) return false;
  // "Contoso Ltd." ends with a full stop too; a sentence has more words.
  return !(t.endsWith('.') && t.split(/\s+/).length > SENTENCE_WORDS);
}

/** The first line with words: the problem statement, never cut. -1 when no line has a letter. */
const firstWords = (heads: readonly string[]) => heads.findIndex((h) => /\p{L}/u.test(h));

/** The first hard marker below the first line with words, and its kind; lines.length when none. */
function hardCut(
  lines: readonly string[],
  heads: readonly string[],
): { at: number; kind: MarkerKind | null } {
  const first = firstWords(heads);
  for (let i = Math.max(first, 0) + 1; first >= 0 && i < lines.length; i++) {
    const kind = hardMarker(lines, heads, i);
    if (kind) return { at: i, kind };
  }
  return { at: lines.length, kind: null };
}

/**
 * The earliest sign-off above `hard` that only a signature follows: at most SIGNATURE_MAX_LINES
 * lines, each short and none a sentence. `hard` itself when there is none.
 */
function signOffCut(lines: readonly string[], heads: readonly string[], hard: number): number {
  const first = firstWords(heads);
  let cut = hard;
  let signatureLines = 0;
  for (let i = hard - 1; i > first; i--) {
    if (isSignOff(lines[i] ?? '', heads[i] ?? '')) cut = i;
    else if ((heads[i] ?? '') !== '') {
      signatureLines++;
      if (signatureLines > SIGNATURE_MAX_LINES || !isSignatureLine(lines[i] ?? '')) break;
    }
  }
  return cut;
}

const letters = (text: string) => text.match(/\p{L}/gu)?.length ?? 0;

/**
 * The text without e-mail boilerplate: quoted earlier replies (from their header or `>` prefix), the
 * signature (from "--", or from a sign-off followed by at most SIGNATURE_MAX_LINES lines), mobile
 * footers, legal disclaimers and the rest of the thread below them. Line by line, each line compared
 * on its first MARKER_LINE_CHARS characters with plain string operations: linear in the input. It is
 * conservative: the first line with words is always kept, and when nothing with a letter would be
 * left, the text is returned as it was.
 */
export function stripBoilerplate(text: string): string {
  const bounded = text.slice(0, STRIP_INPUT_LIMIT);
  const lines = bounded.replace(/\r\n?/g, '\n').split('\n');
  const heads = lines.map(head);
  const hard = hardCut(lines, heads);
  const kept = lines.slice(0, signOffCut(lines, heads, hard.at)).filter((line) => !/^\s*>/.test(line));
  const stripped = kept
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
  // "See below" above a forwarded message: the problem is in the quote, so the quote stays.
  const tooLittle = hard.kind === 'quote' ? MIN_OWN_LETTERS : 1;
  return letters(stripped) >= tooLittle ? stripped : bounded.trim();
}
