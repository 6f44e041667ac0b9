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
 * Linear in the input, as JSON.parse is. Without any run of 16 or more digits no integer can be
 * unsafe, and the plain JSON.parse (no reviver, the fast path) is used.
 */
export function parseJsonLossless(text: string): unknown {
  if (!LONG_DIGIT_RUN.test(text)) return JSON.parse(text);
  return JSON.parse(text, keepUnsafeIntegers);
}

// 2^53 has 16 digits: an integer of 15 digits or fewer is always safe.
const LONG_DIGIT_RUN = /\d{16}/;
const INTEGER_SOURCE = /^-?\d+$/;

function keepUnsafeIntegers(_key: string, value: unknown, context?: { source?: string }): unknown {
  if (typeof value !== 'number' || Number.isSafeInteger(value)) return value;
  const source = context?.source;
  return source !== undefined && INTEGER_SOURCE.test(source) ? source : value;
}
