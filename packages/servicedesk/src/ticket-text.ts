import { stripBoilerplate } from '@ai-agents/shared';

const ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  '#39': "'",
  apos: "'",
  nbsp: ' ',
};

/**
 * The most HTML of one description, solution or resolution that is read; the rest is dropped before
 * parsing. Rich-text descriptions from mail clients carry far more markup than words (styles, tables),
 * so this is generous next to the 4,000 characters of text the LLM sees, and small enough that a
 * hostile ticket cannot make the worker chew on megabytes.
 */
export const HTML_INPUT_LIMIT = 256 * 1024;

/**
 * Finds the next occurrence of a pattern at or after a position, remembering the last answer. The
 * scanner below only moves forward, so each pattern's searches cover disjoint stretches of the text
 * and all of them together read it once: 10,000 unclosed `<` cost one scan for `>`, not 10,000.
 */
function forwardFinder(text: string, pattern: RegExp) {
  const re = new RegExp(pattern.source, `${pattern.flags.replace('g', '')}g`);
  let found = -2; // -2: not searched yet, -1: nowhere after the last search start
  let end = 0;
  return (from: number): { start: number; end: number } | null => {
    if (found === -1) return null;
    if (found < from) {
      re.lastIndex = from;
      const match = re.exec(text);
      found = match ? match.index : -1;
      end = match ? match.index + match[0].length : 0;
    }
    return found === -1 ? null : { start: found, end };
  };
}

/**
 * ServiceDesk Plus descriptions are HTML; the LLM and the search want the words. One forward pass
 * (no backtracking regex over the whole text), so the time is linear in the input whatever it holds.
 * CDATA markers are dropped and their content read as HTML; comments, scripts and styles are dropped;
 * `<br>` and the end of a block (`</p>`, `</div>`, `</li>`, `</tr>`, `</h1>`…) become line breaks, any
 * other tag a space; a `<` that starts no tag, or is never closed, is text.
 */
export function htmlToText(html: string | null | undefined): string {
  if (!html) return '';
  // SDP keeps some rich-text descriptions as CDATA sections; their content is the text.
  const source = html.replace(/<!\[CDATA\[|\]\]>/g, '');
  const nextTagEnd = forwardFinder(source, />/);
  const nextCommentEnd = forwardFinder(source, /-->/);
  const nextScriptEnd = forwardFinder(source, /<\/script\s*>/i);
  const nextStyleEnd = forwardFinder(source, /<\/style\s*>/i);
  const out: string[] = [];
  let text = 0; // start of the text not yet copied
  let i = source.indexOf('<');
  while (i !== -1) {
    // As in the HTML tokenizer, "<" starts a tag only before a letter, "/", "!" or "?"; "a < b" is text.
    if (!/[A-Za-z/!?]/.test(source.charAt(i + 1))) {
      i = source.indexOf('<', i + 1);
      continue;
    }
    let skipTo = -1;
    let replacement = ' ';
    if (source.startsWith('<!--', i)) skipTo = nextCommentEnd(i + 4)?.end ?? -1;
    else if (/^<(script|style)/i.test(source.slice(i, i + 7))) {
      const isScript = /^<script/i.test(source.slice(i, i + 7));
      skipTo = (isScript ? nextScriptEnd : nextStyleEnd)(i + 1)?.end ?? -1;
    }
    if (skipTo === -1) {
      const end = nextTagEnd(i + 1);
      if (!end) break; // no `>` anywhere after: the rest is text
      skipTo = end.end;
      const tag = source.slice(i, Math.min(skipTo, i + 12));
      if (/^<br[\s/>]/i.test(tag) || /^<\/(p|div|li|tr|h\d)\s*>/i.test(tag)) replacement = '\n';
    }
    out.push(decodeEntities(source.slice(text, i)), replacement);
    text = skipTo;
    i = source.indexOf('<', skipTo);
  }
  out.push(decodeEntities(source.slice(text)));
  return out
    .join('')
    .replace(/[ \t]+/g, ' ')
    .replace(/ ?\n ?/g, '\n')
    .replace(/\n\s*\n+/g, '\n')
    .trim();
}

function decodeEntities(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|#39|apos|nbsp);/g, (_, name: string) => ENTITIES[name] ?? '');
}

/** At most `max` characters of the HTML, before it is parsed (see HTML_INPUT_LIMIT). */
export function boundHtml(html: string | null | undefined, max = HTML_INPUT_LIMIT): string {
  if (!html) return '';
  return html.length <= max ? html : html.slice(0, max);
}

/** Ticket, resolution or solution HTML from ServiceDesk Plus as text: cut to the bound, then parsed. */
export function ticketHtmlToText(html: string | null | undefined): string {
  return htmlToText(boundHtml(html));
}

/**
 * A description or resolution as the search and the LLM should read it: the text of its HTML
 * without e-mail boilerplate (signature, quoted replies, disclaimer, mobile footer; see
 * stripBoilerplate in packages/shared). The worker reads new tickets with it and the history import
 * stores resolved ones with it, so a query and the history it is compared with are cleaned alike.
 */
export function ticketBodyText(html: string | null | undefined): string {
  return stripBoilerplate(ticketHtmlToText(html));
}

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
