import { type Db, recordFeedback } from '@ai-agents/db';
import type { RedisEval } from '@ai-agents/shared';
import { FEEDBACK_LINK_MAX_AGE_DAYS } from '@ai-agents/shared';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from '../errors.js';
import { authenticateFeedback, tenantForToken } from '../feedback/authenticate-feedback.js';
import { feedbackBodySchema, parseFeedbackBody, readFeedbackFields } from '../feedback/feedback-input.js';
import { feedbackErrorPage, feedbackFormPage, feedbackThanksPage } from '../feedback/feedback-page.js';
import {
  feedbackLinkRateLimit,
  feedbackRateLimit,
  sendFeedbackRefusal,
} from '../feedback/feedback-rate-limit.js';
import type { TenantAuth } from '../webhook/tenant-auth.js';
import { documentedBody, errorBody, errorResponses, SIGNED } from './route-docs.js';

export interface FeedbackRouteOptions {
  db: Db;
  tenantAuth: TenantAuth;
  toleranceSeconds: number;
  /** Prefix of the form's action, so the page works behind a proxy that mounts the API under a path. */
  publicBaseUrl: string;
  metrics?: { observeFeedback(helpful: boolean, source: 'link' | 'signed'): void } | undefined;
  /** For the rate limits: requests per client (IPv4 address, IPv6 /64) and votes per link, per minute, across replicas. */
  redis: RedisEval;
  /** Not `prefix`: Fastify reads that register option as a route prefix. */
  redisKeyPrefix: string;
  rateLimitPerMinute: number;
}

type PostFeedbackRequest = FastifyRequest<{ Body: Buffer }>;
type FeedbackPageRequest = FastifyRequest<{ Querystring: { token?: string; helpful?: string } }>;

const postFeedbackSchema = {
  summary: 'Record whether a note helped',
  description:
    "Authenticated by the note's link token in the body, or signed like a webhook. One vote per enhancement counts: the latest. A form post is answered with an HTML page (docs/the-note.md).",
  tags: ['feedback'],
  // The link token travels in the body, which OpenAPI security cannot name: hence the empty entry.
  security: [SIGNED, {}],
  response: {
    201: {
      description: 'Recorded',
      type: 'object',
      properties: { status: { type: 'string' }, feedback_id: { type: 'string' } },
      required: ['status', 'feedback_id'],
    },
    ...errorResponses({
      400: 'The body is not valid JSON',
      401: 'Authentication failed (one answer for every cause), or `link_expired`',
      404: 'The tenant has no such enhancement',
      415: 'Content-Type is neither JSON nor a form',
      422: 'A field is missing or invalid; the message names it',
      429: 'Past FEEDBACK_RATE_LIMIT_PER_MINUTE for this client (IPv4 address or IPv6 /64) or this link; retry after Retry-After',
      503: 'The rate limit (Redis) cannot be checked; retry after Retry-After',
    }),
    '4xx': errorBody,
    '5xx': errorBody,
  },
};

const feedbackPageSchema = {
  summary: "The form a note's Yes/No link opens",
  description:
    'Opening the link records nothing (so link previews do not vote): the page asks the technician to confirm, and posts to POST /v1/feedback.',
  tags: ['feedback'],
  querystring: {
    type: 'object',
    properties: {
      token: { type: 'string', maxLength: 200, description: "The note's link token" },
      helpful: {
        type: 'string',
        maxLength: 10,
        description: '`yes` or `no`: the choice shown preselected',
      },
    },
  },
  response: {
    200: {
      description: 'The confirmation form',
      content: { 'text/html': { schema: { type: 'string' } } },
    },
    401: {
      description: 'The link is not valid, or has expired',
      content: { 'text/html': { schema: { type: 'string' } } },
    },
  },
};

/** POST /v1/feedback: authenticate, read the vote, record it; a form post is answered with a page. */
function postFeedback(opts: FeedbackRouteOptions) {
  const limitLink = feedbackLinkRateLimit(opts);
  return async function recordVote(request: PostFeedbackRequest, reply: FastifyReply) {
    const raw = request.body;
    if (!Buffer.isBuffer(raw))
      throw new HttpError(415, 'unsupported_media_type', 'Content-Type must be application/json or a form');
    const contentType = request.headers['content-type'] ?? '';
    const fromForm = contentType.includes('application/x-www-form-urlencoded');
    try {
      const body = parseFeedbackBody(raw, contentType);
      const auth = await authenticateFeedback(opts, request, raw, body);
      if (auth.mode === 'link') await limitLink(auth);
      const fields = readFeedbackFields(body, auth.mode);
      const enhancementId = auth.enhancementId ?? fields.enhancementId ?? '';
      const recorded = await recordFeedback(
        { db: opts.db, tenantId: auth.tenantId },
        { enhancementId, helpful: fields.helpful, comment: fields.comment, source: auth.mode },
      );
      if (!recorded) throw new HttpError(404, 'not_found', 'No such enhancement for this tenant');
      request.log.info({ mode: auth.mode, helpful: fields.helpful }, 'feedback recorded');
      opts.metrics?.observeFeedback(fields.helpful, auth.mode);
      if (fromForm) return reply.code(201).type('text/html; charset=utf-8').send(feedbackThanksPage());
      return reply.code(201).send({ status: 'recorded', feedback_id: recorded.id });
    } catch (error) {
      // A browser gets a page it can read; scripts get the JSON error from the app's handler.
      if (fromForm && error instanceof HttpError) return sendFeedbackRefusal(request, reply, error);
      throw error;
    }
  };
}

/** GET /v1/feedback?token=…: the confirmation form, or a page saying why the link does not work. */
function feedbackPage(opts: FeedbackRouteOptions) {
  const limitLink = feedbackLinkRateLimit(opts);
  return async function showFeedbackForm(request: FeedbackPageRequest, reply: FastifyReply) {
    const token = request.query.token ?? '';
    const html = (status: number, body: string) =>
      reply.code(status).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(body);
    const found = await tenantForToken(opts, token);
    if (!found) return html(401, feedbackErrorPage('This feedback link is not valid.'));
    if (found === 'expired')
      return html(
        401,
        feedbackErrorPage(`This feedback link has expired (after ${FEEDBACK_LINK_MAX_AGE_DAYS} days).`),
      );
    try {
      await limitLink(found);
    } catch (error) {
      if (error instanceof HttpError) return sendFeedbackRefusal(request, reply, error);
      throw error;
    }
    const choice = request.query.helpful;
    return html(
      200,
      feedbackFormPage(
        `${opts.publicBaseUrl}/v1/feedback`,
        token,
        choice === 'yes' ? true : choice === 'no' ? false : undefined,
      ),
    );
  };
}

/**
 * POST /v1/feedback records "helpful" / "not helpful" (+ comment) for one enhancement. Two ways to
 * prove the caller may: the note's link token (tenant + enhancement bound by an HMAC under the
 * tenant's webhook secret), or a request signed exactly like a webhook, naming `tenant` and
 * `enhancement_id` in the body. GET /v1/feedback?token=… serves the form the note links to.
 */
export const feedbackRoutes: FastifyPluginAsync<FeedbackRouteOptions> = async (app, opts) => {
  app.removeAllContentTypeParsers();
  // The signature covers the raw bytes; both types are parsed by the handler after it has them.
  app.addContentTypeParser(
    ['application/json', 'application/x-www-form-urlencoded'],
    { parseAs: 'buffer', bodyLimit: 16 * 1024 },
    (_request, body, done) => done(null, body),
  );
  app.addHook('onRequest', feedbackRateLimit(opts));

  app.post<{ Body: Buffer }>(
    '/v1/feedback',
    {
      config: {
        swaggerTransform: documentedBody(feedbackBodySchema, [
          'application/json',
          'application/x-www-form-urlencoded',
        ]),
      },
      schema: postFeedbackSchema,
    },
    postFeedback(opts),
  );
  app.get('/v1/feedback', { schema: feedbackPageSchema }, feedbackPage(opts));
};
