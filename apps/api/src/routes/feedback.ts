import { type Db, enhancementCreatedAt, recordFeedback } from '@ai-agents/db';
import type { RedisEval } from '@ai-agents/shared';
import {
  FEEDBACK_LINK_MAX_AGE_DAYS,
  feedbackLinkExpired,
  parseFeedbackToken,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  takeTokens,
  verifyFeedbackToken,
  verifyWebhookSignature,
} from '@ai-agents/shared';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { HttpError } from '../errors.js';
import { feedbackBodySchema, parseFeedbackBody, readFeedbackFields } from '../feedback/feedback-input.js';
import { feedbackErrorPage, feedbackFormPage, feedbackThanksPage } from '../feedback/feedback-page.js';
import type { TenantAuth } from '../webhook/tenant-auth.js';
import { documentedBody, errorBody, errorResponses, SIGNED } from './route-docs.js';

export interface FeedbackRouteOptions {
  db: Db;
  tenantAuth: TenantAuth;
  toleranceSeconds: number;
  /** Prefix of the form's action, so the page works behind a proxy that mounts the API under a path. */
  publicBaseUrl: string;
  metrics?: { observeFeedback(helpful: boolean, source: 'link' | 'signed'): void } | undefined;
  /** For the rate limit: requests per client address per minute, across replicas. */
  redis: RedisEval;
  /** Not `prefix`: Fastify reads that register option as a route prefix. */
  redisKeyPrefix: string;
  rateLimitPerMinute: number;
}

// One answer for every authentication failure, as for webhooks: nothing tells which part was wrong.
const unauthorized = () => new HttpError(401, 'unauthorized', 'Feedback authentication failed');
const expired = () =>
  new HttpError(
    401,
    'link_expired',
    `Feedback links expire after ${FEEDBACK_LINK_MAX_AGE_DAYS} days; this one has`,
  );

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
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

  // Every request to the endpoint, page or post, counts against its client address: each costs an
  // HMAC and maybe a write, and a link pasted into a script must not become a flood of votes.
  app.addHook('onRequest', async (request, reply) => {
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
  });

  /** The tenant and enhancement a link token is for; 'expired' for a genuine but expired link. */
  async function tenantForToken(token: string) {
    const claims = parseFeedbackToken(token);
    if (!claims) return null;
    const tenant = await opts.tenantAuth.lookup(claims.slug);
    // Verified against a decoy for an unknown slug, so the answer takes as long either way.
    const valid = verifyFeedbackToken(claims, (tenant ?? opts.tenantAuth.decoy).secrets);
    if (!tenant?.active || !valid) return null;
    // A link from before links carried their time: the note's own age decides.
    const issuedAt =
      claims.issued !== null
        ? claims.issued * 1000
        : (
            await enhancementCreatedAt({ db: opts.db, tenantId: tenant.tenantId }, claims.enhancementId)
          )?.getTime();
    if (issuedAt !== undefined && feedbackLinkExpired(issuedAt)) return 'expired' as const;
    return { tenantId: tenant.tenantId, enhancementId: claims.enhancementId };
  }

  async function authenticate(request: FastifyRequest, raw: Buffer, body: Record<string, unknown>) {
    const token = typeof body.token === 'string' ? body.token : undefined;
    if (token !== undefined) {
      const found = await tenantForToken(token);
      if (!found) throw unauthorized();
      if (found === 'expired') throw expired();
      return { ...found, mode: 'link' as const };
    }
    const slug = typeof body.tenant === 'string' ? body.tenant : '';
    const tenant = /^[a-z0-9][a-z0-9-]{0,62}$/.test(slug) ? await opts.tenantAuth.lookup(slug) : null;
    const verdict = verifyWebhookSignature({
      secrets: (tenant ?? opts.tenantAuth.decoy).secrets,
      timestamp: header(request.headers[TIMESTAMP_HEADER]),
      signature: header(request.headers[SIGNATURE_HEADER]),
      rawBody: raw,
      toleranceSeconds: opts.toleranceSeconds,
    });
    if (!tenant?.active || !verdict.ok) throw unauthorized();
    return { tenantId: tenant.tenantId, enhancementId: undefined, mode: 'signed' as const };
  }

  app.post<{ Body: Buffer }>(
    '/v1/feedback',
    {
      config: {
        swaggerTransform: documentedBody(feedbackBodySchema, [
          'application/json',
          'application/x-www-form-urlencoded',
        ]),
      },
      schema: {
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
            429: 'Past FEEDBACK_RATE_LIMIT_PER_MINUTE for this client address; retry after Retry-After',
            503: 'The rate limit (Redis) cannot be checked; retry after Retry-After',
          }),
          '4xx': errorBody,
          '5xx': errorBody,
        },
      },
    },
    async (request, reply) => {
      const raw = request.body;
      if (!Buffer.isBuffer(raw))
        throw new HttpError(415, 'unsupported_media_type', 'Content-Type must be application/json or a form');
      const contentType = request.headers['content-type'] ?? '';
      const fromForm = contentType.includes('application/x-www-form-urlencoded');
      try {
        const body = parseFeedbackBody(raw, contentType);
        const auth = await authenticate(request, raw, body);
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
        if (fromForm && error instanceof HttpError)
          return reply
            .code(error.statusCode)
            .type('text/html; charset=utf-8')
            .send(feedbackErrorPage(error.message));
        throw error;
      }
    },
  );

  app.get<{ Querystring: { token?: string; helpful?: string } }>(
    '/v1/feedback',
    {
      schema: {
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
      },
    },
    async (request, reply) => {
      const token = request.query.token ?? '';
      const html = (status: number, body: string) =>
        reply.code(status).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(body);
      const found = await tenantForToken(token);
      if (!found) return html(401, feedbackErrorPage('This feedback link is not valid.'));
      if (found === 'expired')
        return html(
          401,
          feedbackErrorPage(`This feedback link has expired (after ${FEEDBACK_LINK_MAX_AGE_DAYS} days).`),
        );
      const choice = request.query.helpful;
      return html(
        200,
        feedbackFormPage(
          `${opts.publicBaseUrl}/v1/feedback`,
          token,
          choice === 'yes' ? true : choice === 'no' ? false : undefined,
        ),
      );
    },
  );
};
