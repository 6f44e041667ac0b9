import { type RedisEval, takeTokens } from '@ai-agents/shared';
import type { FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { HttpError } from '../errors.js';
import { rateLimitSubject } from './client-subnet.js';
import { feedbackErrorPage } from './feedback-page.js';

export interface FeedbackRateLimitOptions {
  redis: RedisEval;
  redisKeyPrefix: string;
  rateLimitPerMinute: number;
}

/** Takes one request from a bucket; throws 429 (with Retry-After) when it is empty, 503 without Redis. */
async function takeOrRefuse(opts: FeedbackRateLimitOptions, bucket: string, refusal: string): Promise<void> {
  let waitMs: number;
  try {
    waitMs = await takeTokens(opts.redis, `${opts.redisKeyPrefix}:ratelimit:${bucket}`, {
      perMinute: opts.rateLimitPerMinute,
    });
  } catch {
    throw new HttpError(503, 'unavailable', 'Feedback cannot be taken now; retry later', {
      'retry-after': '5',
    });
  }
  if (waitMs > 0)
    throw new HttpError(429, 'rate_limited', refusal, {
      'retry-after': String(Math.max(1, Math.ceil(waitMs / 1000))),
    });
}

/** A browser (the page, the form post) gets a page; scripts get the JSON error. */
export function sendFeedbackRefusal(request: FastifyRequest, reply: FastifyReply, error: HttpError) {
  const browser =
    request.method === 'GET' ||
    (request.headers['content-type'] ?? '').includes('application/x-www-form-urlencoded');
  reply.code(error.statusCode).headers(error.headers);
  return browser
    ? reply.type('text/html; charset=utf-8').send(feedbackErrorPage(error.message))
    : reply.send({ error: error.code, message: error.message });
}

/**
 * Every request to the endpoint, page or post, counts against its client: each costs an HMAC and
 * maybe a write, and a link pasted into a script must not become a flood of votes. The client is its
 * IPv4 address or its IPv6 /64 (client-subnet.ts): one IPv6 host holds a whole /64.
 */
export function feedbackRateLimit(opts: FeedbackRateLimitOptions): onRequestAsyncHookHandler {
  return async function limitFeedbackRate(request, reply) {
    try {
      const client = rateLimitSubject(request.ip);
      await takeOrRefuse(
        opts,
        `feedback:${client}`,
        'Too many feedback requests from this address; retry later',
      );
    } catch (error) {
      if (error instanceof HttpError && error.statusCode === 429)
        return sendFeedbackRefusal(request, reply, error);
      throw error;
    }
  };
}

/**
 * Each note's link also has a bucket of its own, at the same rate, taken once the link verified: a
 * valid link used from many addresses (a botnet, a script behind rotating proxies) still writes at
 * most FEEDBACK_RATE_LIMIT_PER_MINUTE votes a minute. Keyed by the enhancement, so every link to one
 * note shares it; an invalid link takes nothing here (it writes nothing, and the client's bucket has
 * counted it).
 */
export function feedbackLinkRateLimit(opts: FeedbackRateLimitOptions) {
  return (link: { tenantId: string; enhancementId: string }) =>
    takeOrRefuse(
      opts,
      `feedback-link:${link.tenantId}:${link.enhancementId}`,
      'Too many votes through this link; retry later',
    );
}
