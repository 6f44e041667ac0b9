/** What the fake LLM "understands" of a prompt: enough to answer deterministically and plausibly. */
export interface PromptFacts {
  promptChars: number;
  lines: number;
  /** From the first line starting `Subject:`, else the first non-empty line. */
  subject: string;
  /** From the first line starting `Requester:`, if any. */
  requester?: string;
  /** The language code of the first line starting `Language:` (e.g. "Language: de (German)"); else "en". */
  language: string;
  /** Ids of `[kind:id]` markers by kind (lower case), unique, in order of appearance. */
  markers: ReadonlyMap<string, readonly string[]>;
  /** A hash of the prompt, for choices that should vary between prompts but not between runs. */
  seed: number;
  /** The context items: lines that open with a `[kind:id]` marker, in prompt order (most relevant first). */
  context: readonly ContextItem[];
}

/** One context line, e.g. `[ticket:T1] Subject (category: Email) — resolution: Cleared the cache.` */
export interface ContextItem {
  text: string;
  /** From `(category: X)`, if the line has one. */
  category?: string;
  /** From `resolution: Y` to the end of the line, if the line has one. */
  resolution?: string;
}

const MARKER = /\[([A-Za-z][\w-]*):([^\]\s]+)\]/g;
const MAX_SUBJECT_CHARS = 120;
// A prompt lists a handful of context items; the cap keeps a runaway prompt linear and the answer short.
const MAX_CONTEXT_ITEMS = 50;
const CONTEXT_LINE = /^[ \t]*\[[A-Za-z][\w-]*:[^\]\s]+\]/;

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

function field(prompt: string, name: string): string | undefined {
  // Only at the start of a line, so "[ticket:T1] Subject: ..." in a list of similar tickets is not taken
  // for the subject of the ticket being answered.
  const match = new RegExp(`^[ \\t]*${name}:[ \\t]*(\\S.*)$`, 'im').exec(prompt);
  return match?.[1]?.trim().slice(0, MAX_SUBJECT_CHARS);
}

/** Marker kinds compare without case and with `-` and `_` alike: [kb-article:1] is cited_kb_article_ids. */
export function markerKind(kind: string): string {
  return kind.toLowerCase().replaceAll('-', '_');
}

/** Lines that open with a marker, with the category and resolution they name. */
function contextItems(prompt: string): ContextItem[] {
  const items: ContextItem[] = [];
  for (const line of prompt.split('\n')) {
    if (items.length >= MAX_CONTEXT_ITEMS) break;
    if (!CONTEXT_LINE.test(line)) continue;
    const category = /\(category:[ \t]*([^)]+)\)/i.exec(line)?.[1]?.trim();
    const resolution = /\bresolution:[ \t]*(\S.*)$/i.exec(line)?.[1]?.trim();
    items.push({ text: line.trim(), category, resolution });
  }
  return items;
}

export function factsFrom(prompt: string): PromptFacts {
  const markers = new Map<string, string[]>();
  for (const [, kind = '', id = ''] of prompt.matchAll(MARKER)) {
    const ids = markers.get(markerKind(kind)) ?? [];
    if (!ids.includes(id)) ids.push(id);
    markers.set(markerKind(kind), ids);
  }
  const firstLine = prompt
    .split('\n')
    .map((line) => line.trim())
    .find((line) => line !== '');
  return {
    promptChars: prompt.length,
    lines: prompt.split('\n').length,
    subject: field(prompt, 'Subject') ?? firstLine?.slice(0, MAX_SUBJECT_CHARS) ?? 'the request',
    requester: field(prompt, 'Requester'),
    language: /^([a-z]{2,3}(?:-[A-Za-z]{2})?)\b/.exec(field(prompt, 'Language') ?? '')?.[1] ?? 'en',
    markers,
    seed: fnv1a(prompt),
    context: contextItems(prompt),
  };
}
