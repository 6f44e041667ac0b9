import { isRecord, type JsonRecord } from '../json-value.js';
import { markerKind, type PromptFacts } from './prompt-facts.js';

/*
 * Builds a value that satisfies a JSON schema (the `response_format.json_schema.schema` of a chat
 * request) from what the prompt says. Generic on purpose: the prompts and schemas of the real worker
 * change, and the sandbox must keep answering them without knowing them.
 */

interface Context {
  root: JsonRecord;
  facts: PromptFacts;
  depth: number;
}

// Deep enough for any real output schema; stops a recursive $ref from recursing forever.
const MAX_DEPTH = 16;
// A note cites a handful of sources; more would be noise in a technician's note.
const MAX_CITED = 3;
const CITED_IDS = /^cited_(.+)_ids$/;
const FIXED_FORMATS: Readonly<Record<string, string>> = {
  'date-time': '2024-01-01T09:00:00Z',
  date: '2024-01-01',
  time: '09:00:00Z',
  email: 'requester@sandbox.invalid',
  'idn-email': 'requester@sandbox.invalid',
  uri: 'https://sandbox.invalid/kb/1',
  url: 'https://sandbox.invalid/kb/1',
  hostname: 'sandbox.invalid',
  ipv4: '192.0.2.1',
  ipv6: '2001:db8::1',
};

export function answerForSchema(schema: unknown, facts: PromptFacts): unknown {
  const root = isRecord(schema) ? schema : {};
  return valueFor(root, '', { root, facts, depth: 0 });
}

function pointer(root: JsonRecord, ref: string): unknown {
  if (!ref.startsWith('#')) return undefined;
  let node: unknown = root;
  for (const part of ref.slice(1).split('/')) {
    if (part === '') continue;
    const key = decodeURIComponent(part).replaceAll('~1', '/').replaceAll('~0', '~');
    node = isRecord(node) ? node[key] : Array.isArray(node) ? node[Number(key)] : undefined;
  }
  return node;
}

/** Follows $ref (#/$defs/..., #/definitions/...) to the schema it names. */
function resolve(schema: unknown, ctx: Context): JsonRecord {
  let node = schema;
  for (let hops = 0; hops < MAX_DEPTH && isRecord(node) && typeof node.$ref === 'string'; hops++) {
    node = pointer(ctx.root, node.$ref);
  }
  return isRecord(node) && typeof node.$ref !== 'string' ? node : {};
}

function typeOf(schema: JsonRecord): string {
  if (typeof schema.type === 'string') return schema.type;
  if (Array.isArray(schema.type)) return schema.type.find((t) => t !== 'null') ?? 'null';
  if (isRecord(schema.properties)) return 'object';
  if (schema.items !== undefined || Array.isArray(schema.prefixItems)) return 'array';
  return 'string';
}

function isNullOnly(schema: JsonRecord): boolean {
  return typeOf(schema) === 'null' && schema.enum === undefined && !('const' in schema);
}

function numberOr(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(Math.max(value, min), max);
}

function mergeAll(branches: JsonRecord[]): JsonRecord {
  const properties = Object.assign({}, ...branches.map((b) => (isRecord(b.properties) ? b.properties : {})));
  return Object.assign({}, ...branches, { properties });
}

function valueFor(raw: unknown, name: string, ctx: Context): unknown {
  if (ctx.depth > MAX_DEPTH) return null;
  const schema = resolve(raw, ctx);
  const inner: Context = { ...ctx, depth: ctx.depth + 1 };
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return enumChoice(schema.enum, ctx.facts);
  const branches = Array.isArray(schema.anyOf)
    ? schema.anyOf
    : Array.isArray(schema.oneOf)
      ? schema.oneOf
      : undefined;
  if (branches) {
    // Nullable fields are anyOf [X, null]: answer X, as a model does when it has something to say.
    const branch = branches.find((b) => !isNullOnly(resolve(b, ctx)));
    return branch === undefined ? null : valueFor(branch, name, inner);
  }
  if (Array.isArray(schema.allOf))
    return valueFor(mergeAll(schema.allOf.map((b) => resolve(b, ctx))), name, inner);

  switch (typeOf(schema)) {
    case 'object': {
      const properties = isRecord(schema.properties) ? schema.properties : {};
      const out: JsonRecord = {};
      for (const [key, sub] of Object.entries(properties)) out[key] = valueFor(sub, key, inner);
      return out;
    }
    case 'array':
      return arrayFor(schema, name, inner);
    case 'number':
      return numberFor(schema, false);
    case 'integer':
      return numberFor(schema, true);
    case 'boolean':
      return false;
    case 'null':
      return null;
    default:
      return stringFor(schema, textFor(name, ctx.facts), ctx.facts);
  }
}

/**
 * The allowed value the prompt's context backs most: a category the similar tickets carry (counted
 * twice), else one their text mentions; the first value when the context backs none (ties: the
 * earlier value). A real model grounds a suggestion the same way rather than taking the list's head.
 */
function enumChoice(values: unknown[], facts: PromptFacts): unknown {
  let best: unknown = values[0];
  let bestScore = 0;
  for (const value of values) {
    if (typeof value !== 'string' || value === '') continue;
    const wanted = value.toLowerCase();
    let score = 0;
    for (const item of facts.context) {
      if (item.category?.toLowerCase() === wanted) score += 2;
      else if (item.text.toLowerCase().includes(wanted)) score += 1;
    }
    if (score > bestScore) [best, bestScore] = [value, score];
  }
  return best;
}

/** The resolution of the most relevant context item that records one. */
function bestResolution(facts: PromptFacts): string | undefined {
  return facts.context.find((item) => item.resolution && !/^not recorded\b/i.test(item.resolution))
    ?.resolution;
}

function singular(word: string): string {
  if (word.endsWith('ies')) return `${word.slice(0, -3)}y`;
  if (word.endsWith('s') && !word.endsWith('ss')) return word.slice(0, -1);
  return word;
}

function arrayFor(schema: JsonRecord, name: string, ctx: Context): unknown[] {
  const minItems = numberOr(schema.minItems, 0);
  const maxItems = numberOr(schema.maxItems, Number.POSITIVE_INFINITY);
  if (Array.isArray(schema.prefixItems)) return schema.prefixItems.map((item) => valueFor(item, name, ctx));
  const item = resolve(schema.items, ctx);

  const cited = CITED_IDS.exec(name);
  if (cited?.[1] !== undefined) {
    // Only ids the prompt really contains, even below minItems: inventing a ticket id is the one thing a
    // citation must never do, and tests of the worker check exactly that.
    const ids = ctx.facts.markers.get(markerKind(singular(cited[1]))) ?? [];
    const numeric = ['number', 'integer'].includes(typeOf(item));
    const values = numeric ? ids.filter((id) => /^-?\d+(\.\d+)?$/.test(id)).map(Number) : [...ids];
    return values.slice(0, Math.min(MAX_CITED, maxItems));
  }

  if (typeOf(item) === 'string' && item.enum === undefined && !('const' in item)) {
    const count = clamp(2 + (ctx.facts.seed % 2), minItems, maxItems);
    const texts = listTexts(name, ctx.facts);
    return Array.from({ length: count }, (_, i) => {
      const text = texts[i] ?? `${texts[i % texts.length]} (${i + 1})`;
      return stringFor(item, text, ctx.facts);
    });
  }
  const count = clamp(1, minItems, maxItems);
  return Array.from({ length: count }, () => valueFor(item, singular(name), ctx));
}

function numberFor(schema: JsonRecord, integer: boolean): number {
  const exclusiveMin = typeof schema.exclusiveMinimum === 'number';
  const exclusiveMax = typeof schema.exclusiveMaximum === 'number';
  const low = numberOr(exclusiveMin ? schema.exclusiveMinimum : schema.minimum, Number.NEGATIVE_INFINITY);
  const high = numberOr(exclusiveMax ? schema.exclusiveMaximum : schema.maximum, Number.POSITIVE_INFINITY);
  const value = integer ? 1 : 0.5;
  const tooLow = exclusiveMin ? value <= low : value < low;
  const tooHigh = exclusiveMax ? value >= high : value > high;
  if (!tooLow && !tooHigh) return value;
  if (integer) {
    if (tooLow) return exclusiveMin ? Math.floor(low) + 1 : Math.ceil(low);
    return exclusiveMax ? Math.ceil(high) - 1 : Math.floor(high);
  }
  if (Number.isFinite(low) && Number.isFinite(high)) return (low + high) / 2;
  if (tooLow) return exclusiveMin ? low + 1 : low;
  return exclusiveMax ? high - 1 : high;
}

function textFor(name: string, facts: PromptFacts): string {
  const key = name.toLowerCase();
  if (key === 'language' || key === 'lang' || key === 'locale' || key.endsWith('_language'))
    return facts.language;
  if (/subject|title|headline/.test(key)) return facts.subject;
  if (/cause|diagnos|hypothes/.test(key)) {
    // A renderer puts the field's label in front: the value never repeats it.
    const resolution = bestResolution(facts);
    return resolution
      ? `Probably the same as in the most similar resolved ticket, which was fixed by: ${resolution}`
      : `Not clear from the context; "${facts.subject}" needs a first look.`;
  }
  if (
    key === '' ||
    /summary|description|note|body|text|analysis|explanation|reason|rationale|answer|content|message|comment/.test(
      key,
    )
  ) {
    const found = facts.context.length;
    const context =
      found === 0 ? 'Nothing similar in the context.' : `${found} item(s) of the context look related.`;
    return `The requester reports "${facts.subject}". ${context} (Sandbox answer; no model was called.)`;
  }
  // Any other text field: what the ticket is about, without the field's name (a renderer adds that).
  return facts.subject;
}

function listTexts(name: string, facts: PromptFacts): string[] {
  const who = facts.requester ?? 'the requester';
  if (/question/i.test(name)) {
    return [
      `When did "${facts.subject}" start?`,
      `Is only ${who} affected, or other users too?`,
      'What changed shortly before the problem began?',
    ];
  }
  const resolution = bestResolution(facts);
  return [
    resolution
      ? `Try what resolved the most similar ticket: ${resolution}`
      : `Check the reported issue: ${facts.subject}`,
    `Confirm the scope and impact with ${who}`,
    `Review recent changes related to ${facts.subject}`,
  ];
}

function uuidFrom(seed: number): string {
  const hex = seed.toString(16).padStart(8, '0');
  return `${hex}-0000-4000-8000-${hex}0000`;
}

function stringFor(schema: JsonRecord, text: string, facts: PromptFacts): string {
  const format = typeof schema.format === 'string' ? schema.format : undefined;
  let value = format === 'uuid' ? uuidFrom(facts.seed) : ((format && FIXED_FORMATS[format]) ?? text);
  const minLength = numberOr(schema.minLength, 0);
  const maxLength = numberOr(schema.maxLength, Number.POSITIVE_INFINITY);
  if (value.length < minLength) value = value.padEnd(minLength, '.');
  return value.length > maxLength ? value.slice(0, maxLength) : value;
}
