import { takeTokens } from '@ai-agents/shared';
import type { RedisClient } from '@ai-agents/shared/redis';

// A job makes two ServiceDesk Plus calls (read the request, post the note); it reserves both before it
// starts, so a job never stalls half-way with its LLM answer in hand.
export const SDP_CALLS_PER_JOB = 2;

/** Per-tenant outbound limit on ServiceDesk Plus calls, shared by every worker through Redis. */
export function createSdpRateLimit(deps: { redis: RedisClient; prefix: string; perMinute: number }) {
  return {
    /** 0 when the calls may go now, otherwise ms until they may (nothing reserved then). */
    reserve(tenantId: string, calls = SDP_CALLS_PER_JOB): Promise<number> {
      return takeTokens(
        deps.redis,
        `${deps.prefix}:ratelimit:sdp:${tenantId}`,
        { perMinute: deps.perMinute },
        calls,
      );
    },
  };
}

export type SdpRateLimit = ReturnType<typeof createSdpRateLimit>;
