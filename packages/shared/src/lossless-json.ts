/**
 * JSON.parse that keeps integers too large for a double as their digits.
 *
 * ServiceDesk Plus Cloud ids have 18 digits (e.g. 123640000000279007, as public SOAR integrations
 * show them), above Number.MAX_SAFE_INTEGER (2^53 - 1): a plain JSON.parse turns 123640000000279007
 * into 123640000000279010, a different ticket. The reviver reads the number's source text (the
 * "JSON.parse source text access" proposal, in V8 since Node 21: the third argument's `source`), so
 * such an integer becomes the string of its digits, exactly as sent. Safe integers, fractions and
 * everything else parse as JSON.parse parses them.
 *
 * Linear in the input, as JSON.parse is. An unsafe integer has 16 digits or more and, as a JSON value,
 * follows `:`, `,` or `[` (after optional white space); text with no such run cannot hold one and takes
 * the plain JSON.parse (no reviver, the fast path). Long digit strings in quotes ("id":"1236…") do not
 * match, so answers that send ids as strings stay on the fast path.
 */
export function parseJsonLossless(text: string): unknown {
  if (!LONG_JSON_NUMBER.test(text)) return JSON.parse(text);
  return JSON.parse(text, keepUnsafeIntegers);
}

// 2^53 has 16 digits: an integer of 15 digits or fewer is always safe. Linear: a match starts only at
// ':', ',' or '[', and a run of white space is scanned from the one character before it.
const LONG_JSON_NUMBER = /[:,[]\s*-?\d{16}/;
const INTEGER_SOURCE = /^-?\d+$/;

function keepUnsafeIntegers(_key: string, value: unknown, context?: { source?: string }): unknown {
  if (typeof value !== 'number' || Number.isSafeInteger(value)) return value;
  const source = context?.source;
  return source !== undefined && INTEGER_SOURCE.test(source) ? source : value;
}
