import { type RedisEval, takeTokens } from '@ai-agents/shared';
import type { onRequestAsyncHookHandler } from 'fastify';
import { HttpError } from '../errors.js';
import { feedbackErrorPage } from './feedback-page.js';

export interface FeedbackRateLimitOptions {
  redis: RedisEval;
  redisKeyPrefix: string;
  rateLimitPerMinute: number;
}

/**
 * Every request to the endpoint, page or post, counts against its client address: each costs an
 * HMAC and maybe a write, and a link pasted into a script must not become a flood of votes.
 */
export function feedbackRateLimit(opts: FeedbackRateLimitOptions): onRequestAsyncHookHandler {
  return async function limitFeedbackRate(request, reply) {
    let waitMs: number;
    try {
      waitMs = await takeTokens(opts.redis, `${opts.redisKeyPrefix}:ratelimit:feedback:${request.ip}`, {
        perMinute: opts.rateLimitPerMinute,
      });
    } catch {
      throw new HttpError(503, 'unavailable', 'Feedback cannot be taken now; retry later', {
        'retry-after': '5',
      });
    }
    if (waitMs > 0) {
      const retryAfter = String(Math.max(1, Math.ceil(waitMs / 1000)));
      const message = 'Too many feedback requests from this address; retry later';
      reply.code(429).header('retry-after', retryAfter);
      // A browser (the page, the form post) gets a page; scripts get the JSON error.
      const browser =
        request.method === 'GET' ||
        (request.headers['content-type'] ?? '').includes('application/x-www-form-urlencoded');
      return browser
        ? reply.type('text/html; charset=utf-8').send(feedbackErrorPage(message))
        : reply.send({ error: 'rate_limited', message });
    }
  };
}
