/**
 * Milliseconds to wait from a `Retry-After` header, which HTTP allows as delay-seconds or as an
 * HTTP-date. Anything unparseable gives undefined so the caller falls back to its own backoff.
 */
export function retryAfterMs(header: string | null, now: number = Date.now()): number | undefined {
  if (header === null) return undefined;
  const value = header.trim();
  if (/^\d+(\.\d+)?$/.test(value)) return Math.round(Number(value) * 1000);
  const at = Date.parse(value);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}
