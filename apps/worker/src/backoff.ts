/**
 * Retry delay for a failed job: exponential from the configured base with ±20 % jitter (so a burst of
 * failures does not retry in lockstep), capped at a minute, and never shorter than the upstream's
 * Retry-After when ServiceDesk Plus or the LLM sent one.
 */
export function upstreamAwareBackoff(attemptsMade: number, baseDelayMs: number, error: unknown): number {
  const exponential = Math.min(baseDelayMs * 2 ** Math.max(0, attemptsMade - 1), 60_000);
  const jittered = Math.round(exponential * (0.8 + Math.random() * 0.4));
  const retryAfterMs = (error as { retryAfterMs?: unknown } | undefined)?.retryAfterMs;
  return typeof retryAfterMs === 'number' && retryAfterMs > jittered
    ? Math.min(retryAfterMs, 10 * 60_000)
    : jittered;
}
