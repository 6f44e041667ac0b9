export type JsonRecord = Record<string, unknown>;

export function isRecord(value: unknown): value is JsonRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * SDP sends ids as strings on Cloud and as numbers on some on-prem builds; callers only ever see strings.
 * A number above 2^53 arrives as its digit string (sdp-http parses with parseJsonLossless); a number that
 * is not a safe integer here was already rounded, so it is no id at all.
 */
export function idString(value: unknown): string | undefined {
  if (typeof value === 'string' && value.trim() !== '') return value.trim();
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  return undefined;
}
