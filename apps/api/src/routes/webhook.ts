import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from '../errors.js';
import type { ApiMetrics } from '../metrics.js';
import { acceptConnectionDelivery } from '../webhook/accept-connection-delivery.js';
import { acceptDelivery, type DeliveryDeps, type DeliveryOutcome } from '../webhook/accept-delivery.js';
import { connectionWebhookEventSchema, webhookEventSchema } from '../webhook/payload.js';
import { documentedBody, errorBody, errorResponses, SIGNED, TOKEN } from './route-docs.js';

export interface WebhookRouteOptions extends DeliveryDeps {
  bodyLimitBytes: number;
  metrics?: ApiMetrics;
}

type WebhookRequest = FastifyRequest<{ Params: { tenant: string }; Body: Buffer }>;
type ConnectionWebhookRequest = FastifyRequest<{ Params: { connection: string }; Body: Buffer }>;

const webhookRouteSchema = {
  summary: 'Queue a ServiceDesk Plus event for a tenant',
  description:
    'Signed with X-Webhook-Timestamp and X-Webhook-Signature (HMAC-SHA256 over "<timestamp>.<raw body>"), or, for a tenant in token mode, X-Webhook-Token. Answered once the job is stored in Redis (docs/webhook-and-deluge.md).',
  tags: ['webhook'],
  security: [SIGNED, TOKEN],
  params: {
    type: 'object',
    properties: {
      tenant: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,62}$', description: 'The tenant slug' },
    },
    required: ['tenant'],
  },
  response: {
    202: {
      description: 'Accepted and queued; `duplicate` when this event was accepted before',
      type: 'object',
      properties: {
        status: { type: 'string' },
        event_id: { type: 'string' },
        job_id: { type: 'string' },
        duplicate: { type: 'boolean' },
      },
      required: ['status', 'event_id', 'job_id'],
    },
    ...errorResponses({
      400: 'The body is not valid JSON',
      401: 'Authentication failed: one answer for an unknown or disabled tenant and a bad, stale or missing signature or token',
      413: 'The body exceeds WEBHOOK_BODY_LIMIT_BYTES',
      415: 'Content-Type is neither application/json nor text/plain',
      422: 'A field is missing or invalid; the message names it',
      429: "Past the tenant's rate limit or backlog bound; retry after Retry-After",
      503: 'The queue (Redis) or the tenant lookup (Postgres) cannot take the event; retry after Retry-After',
    }),
    '4xx': errorBody,
    '5xx': errorBody,
  },
};

const connectionWebhookRouteSchema = {
  ...webhookRouteSchema,
  summary: "Queue a ServiceDesk Plus event for the tenant of the request's account",
  description:
    "A connection's own URL (one ServiceDesk Plus instance, on MSP editions many customer accounts): signed like the tenant's URL, with the connection's secret. The event goes to the tenant mapped to `request.account.id` (a single portal: the connection's one tenant). An account with no tenant is answered 202 with status `dropped` and counted (webhooks_total{outcome=\"unmapped_account\"}); `connection accounts` lists it (docs/webhook-and-deluge.md).",
  params: {
    type: 'object',
    properties: {
      connection: {
        type: 'string',
        pattern: '^[a-z0-9][a-z0-9-]{0,62}$',
        description: 'The connection slug',
      },
    },
    required: ['connection'],
  },
  response: {
    ...webhookRouteSchema.response,
    202: {
      description:
        "Accepted and queued for the account's tenant (`duplicate` when accepted before), or `dropped` with reason `unmapped_account` when no tenant is mapped to the account",
      type: 'object',
      properties: {
        status: { type: 'string', enum: ['accepted', 'dropped'] },
        reason: { type: 'string' },
        event_id: { type: 'string' },
        job_id: { type: 'string' },
        duplicate: { type: 'boolean' },
      },
      required: ['status'],
    },
    ...errorResponses({
      400: 'The body is not valid JSON',
      401: 'Authentication failed: one answer for an unknown connection, one without a webhook secret, and a bad, stale or missing signature or token',
      403: "The account's tenant is disabled",
      413: 'The body exceeds WEBHOOK_BODY_LIMIT_BYTES',
      415: 'Content-Type is neither application/json nor text/plain',
      422: 'A field is missing or invalid (request.account.id on an MSP connection); the message names it',
      429: "Past the connection's or the tenant's rate limit, or the tenant's backlog bound; retry after Retry-After",
      503: 'The queue (Redis) or the lookup (Postgres) cannot take the event; retry after Retry-After',
    }),
  },
};

function rawBodyOf(request: FastifyRequest<{ Body: Buffer }>): Buffer {
  const rawBody = request.body;
  if (!Buffer.isBuffer(rawBody))
    throw new HttpError(
      415,
      'unsupported_media_type',
      'Content-Type must be application/json (or text/plain holding JSON)',
    );
  return rawBody;
}

/** Walks the delivery through acceptDelivery() and answers with its outcome. */
function receiveDelivery(opts: WebhookRouteOptions) {
  return async function answerDelivery(request: WebhookRequest, reply: FastifyReply) {
    const rawBody = rawBodyOf(request);
    const outcome = await acceptDelivery(
      opts,
      { slug: request.params.tenant, headers: request.headers, rawBody },
      request.log,
    );
    return answer(opts, request, reply, outcome, { tenant: request.params.tenant });
  };
}

/** Walks a connection's delivery through acceptConnectionDelivery() and answers with its outcome. */
function receiveConnectionDelivery(opts: WebhookRouteOptions) {
  return async function answerConnectionDelivery(request: ConnectionWebhookRequest, reply: FastifyReply) {
    const rawBody = rawBodyOf(request);
    const slug = request.params.connection;
    const outcome = await acceptConnectionDelivery(
      opts,
      { slug, headers: request.headers, rawBody },
      request.log,
    );
    if (outcome.kind !== 'unmapped') return answer(opts, request, reply, outcome, { connection: slug });
    opts.metrics?.observeWebhook(null, { outcome: 'unmapped_account' });
    request.accessLog = { msg: 'webhook dropped', fields: { connection: slug, account: outcome.account } };
    return reply.code(202).send({ status: 'dropped', reason: 'unmapped_account' });
  };
}

/** Counts the outcome and answers it: the error, or 202 with the job. */
function answer(
  opts: WebhookRouteOptions,
  request: FastifyRequest,
  reply: FastifyReply,
  outcome: DeliveryOutcome,
  where: Record<string, string>,
) {
  opts.metrics?.observeWebhook(
    outcome.tenantLabel,
    outcome.kind === 'rejected'
      ? { outcome: 'rejected', reason: outcome.reason }
      : { outcome: outcome.duplicate ? 'duplicate' : 'accepted' },
  );
  if (outcome.kind === 'rejected') throw outcome.error;
  const { eventId, jobId, duplicate } = outcome;
  // Written once with the access line when the answer has gone out (access-log.ts).
  request.accessLog = {
    msg: 'webhook accepted',
    fields: { ...where, tenant: outcome.tenantLabel ?? '', auth: outcome.auth, eventId, jobId, duplicate },
  };
  return reply.code(202).send({
    status: 'accepted',
    event_id: eventId,
    job_id: jobId,
    ...(duplicate ? { duplicate: true } : {}),
  });
}

/**
 * POST /v1/webhooks/servicedesk/:tenant and, for a connection's tenants together,
 * POST /v1/webhooks/servicedesk/connections/:connection. The signature covers the raw bytes, so this plugin (and
 * only this plugin) takes the body as a Buffer; it is parsed as JSON after the signature holds.
 */
export const webhookRoutes: FastifyPluginAsync<WebhookRouteOptions> = async (app, opts) => {
  app.removeAllContentTypeParsers();
  // Deluge's invokeurl sends a text body as text/plain unless told otherwise: such a body is taken as
  // bytes too, and read as JSON only once the delivery has authenticated. Other types stay 415.
  app.addContentTypeParser(
    ['application/json', 'text/plain'],
    { parseAs: 'buffer', bodyLimit: opts.bodyLimitBytes },
    (_request, body, done) => done(null, body),
  );

  app.post<{ Params: { tenant: string }; Body: Buffer }>(
    '/v1/webhooks/servicedesk/:tenant',
    {
      // Helmet's headers (CSP, frame and referrer policies, ...) tell browsers how to treat a page;
      // this route answers servers (ServiceDesk Plus, Deluge), and setting them on every delivery was
      // about 5% of the API's CPU at webhook rates (npm run bench -- --only=intake --cpu-prof).
      helmet: false,
      config: { swaggerTransform: documentedBody(webhookEventSchema, ['application/json', 'text/plain']) },
      schema: webhookRouteSchema,
    },
    receiveDelivery(opts),
  );

  app.post<{ Params: { connection: string }; Body: Buffer }>(
    '/v1/webhooks/servicedesk/connections/:connection',
    {
      helmet: false,
      config: {
        swaggerTransform: documentedBody(connectionWebhookEventSchema, ['application/json', 'text/plain']),
      },
      schema: connectionWebhookRouteSchema,
    },
    receiveConnectionDelivery(opts),
  );
};
