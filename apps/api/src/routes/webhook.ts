import {
  admitWebhook,
  currentTraceCarrier,
  deriveEventId,
  type EnhanceJob,
  enhanceJobId,
  tenantBacklogKey,
} from '@ai-agents/shared';
import type { Queue } from 'bullmq';
import type { FastifyPluginAsync } from 'fastify';
import type { Cluster, Redis } from 'ioredis';
import { HttpError, unauthorized } from '../errors.js';
import type { ApiMetrics, WebhookOutcome } from '../metrics.js';
import { authenticateDelivery } from '../webhook/authenticate.js';
import { type EnqueueResult, seenKey, storeEnhancement } from '../webhook/enqueue.js';
import { readWebhookEvent, webhookEventSchema } from '../webhook/payload.js';
import type { TenantAuth } from '../webhook/tenant-auth.js';
import { documentedBody, errorBody, errorResponses, SIGNED, TOKEN } from './route-docs.js';

export interface WebhookRouteOptions {
  queue: Queue;
  redis: Redis | Cluster;
  tenantAuth: TenantAuth;
  bodyLimitBytes: number;
  toleranceSeconds: number;
  metrics?: ApiMetrics;
  /** Installation default of accepted webhooks per tenant per minute. */
  rateLimitPerMinute: number;
  /** Unfinished jobs a tenant may have queued (see tenant-backlog.ts). */
  backlogLimit: number;
}

/**
 * POST /v1/webhooks/servicedesk/:tenant. The signature covers the raw bytes, so this plugin (and
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
      schema: {
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
      },
    },
    async (request, reply) => {
      const rawBody = request.body;
      if (!Buffer.isBuffer(rawBody))
        throw new HttpError(
          415,
          'unsupported_media_type',
          'Content-Type must be application/json (or text/plain holding JSON)',
        );

      let tenant: Awaited<ReturnType<TenantAuth['lookup']>>;
      try {
        tenant = await opts.tenantAuth.lookup(request.params.tenant);
      } catch (error) {
        // Postgres is away: the sender should retry, exactly as when Redis is.
        opts.metrics?.observeWebhook(null, { outcome: 'rejected', reason: 'database_unavailable' });
        request.log.error({ err: error, tenant: request.params.tenant }, 'tenant lookup failed (Postgres)');
        throw serviceUnavailable(
          'database_unavailable',
          'The service cannot take the event now; retry later',
        );
      }
      // The slug is a metric label only once it is known to name a tenant: bounded by the tenant count.
      const tenantLabel = tenant ? request.params.tenant : null;
      const count = (result: WebhookOutcome) => opts.metrics?.observeWebhook(tenantLabel, result);
      const verdict = authenticateDelivery({
        headers: request.headers,
        rawBody,
        // An unknown slug is verified against a decoy secret: the same HMAC, so no timing difference.
        tenant: tenant ?? opts.tenantAuth.decoy,
        toleranceSeconds: opts.toleranceSeconds,
      });
      if (!tenant?.active || !verdict.ok) {
        const reason = !tenant
          ? 'unknown_tenant'
          : !tenant.active
            ? 'disabled_tenant'
            : !verdict.ok
              ? verdict.reason
              : 'mismatch';
        count({ outcome: 'rejected', reason });
        request.log.info({ tenant: request.params.tenant, reason }, 'webhook rejected');
        throw unauthorized();
      }

      let body: unknown;
      try {
        body = JSON.parse(rawBody.toString('utf8'));
      } catch {
        count({ outcome: 'rejected', reason: 'malformed_json' });
        throw new HttpError(400, 'malformed_json', 'Body is not valid JSON');
      }
      let event: ReturnType<typeof readWebhookEvent>;
      try {
        event = readWebhookEvent(body);
      } catch (error) {
        count({ outcome: 'rejected', reason: 'invalid_payload' });
        throw error;
      }
      const trace = currentTraceCarrier();
      const job: EnhanceJob = {
        tenantId: tenant.tenantId,
        event: event.event,
        eventId: event.eventId ?? deriveEventId(tenant.tenantId, event.event, event.requestId),
        requestId: event.requestId,
        receivedAt: Date.now(),
        ...(trace ? { trace } : {}),
      };
      const jobId = enhanceJobId(job.tenantId, job.eventId);

      // The rate limit is counted per tenant after authentication: forged or unsigned floods at a
      // client's URL cannot use up that client's quota and lock its real tickets out; they stop at the
      // signature check. The duplicate check goes with it, in one script: a redelivery takes a token
      // either way, as it did when they ran in turn.
      // The tenant's backlog bound goes in the same script.
      const prefix = opts.queue.opts.prefix ?? 'bull';
      const backlogKey = tenantBacklogKey(prefix, opts.queue.name, tenant.tenantId);
      let waitMs: number;
      let remembered: boolean;
      let backlogFull: boolean;
      try {
        ({
          waitMs,
          duplicate: remembered,
          backlogFull,
        } = await admitWebhook(
          opts.redis,
          {
            bucketKey: `${prefix}:ratelimit:webhook:${tenant.tenantId}`,
            seenKey: seenKey(opts.queue, jobId),
            backlogKey,
          },
          {
            perMinute: tenant.rateLimitPerMinute ?? opts.rateLimitPerMinute,
            backlogLimit: opts.backlogLimit,
          },
        ));
      } catch (error) {
        count({ outcome: 'rejected', reason: 'queue_unavailable' });
        request.log.error({ err: error, tenant: request.params.tenant }, 'could not reach Redis');
        throw queueUnavailable();
      }
      if (backlogFull) {
        count({ outcome: 'rejected', reason: 'backlog_full' });
        request.log.warn({ tenant: request.params.tenant }, 'tenant backlog full');
        throw new HttpError(
          429,
          'backlog_full',
          'Too many unprocessed events for this tenant; retry later',
          // Long enough for the workers to work off a part of it at the tenant's ServiceDesk Plus pace.
          { 'retry-after': '30' },
        );
      }
      if (waitMs > 0) {
        count({ outcome: 'rejected', reason: 'rate_limited' });
        request.log.warn({ tenant: request.params.tenant }, 'webhook rate limit reached');
        throw new HttpError(429, 'rate_limited', 'Too many webhooks for this tenant; retry later', {
          'retry-after': String(Math.max(1, Math.ceil(waitMs / 1000))),
        });
      }

      let result: EnqueueResult = { jobId, duplicate: true };
      if (!remembered) {
        try {
          result = await storeEnhancement(opts.queue, opts.redis, job, jobId, backlogKey);
        } catch (error) {
          count({ outcome: 'rejected', reason: 'queue_unavailable' });
          request.log.error(
            { err: error, tenant: request.params.tenant },
            'could not store the job in Redis',
          );
          throw queueUnavailable();
        }
      }
      count({ outcome: result.duplicate ? 'duplicate' : 'accepted' });
      // Written once with the access line when the answer has gone out (access-log.ts).
      request.accessLog = {
        msg: 'webhook accepted',
        fields: {
          tenant: request.params.tenant,
          auth: verdict.mode,
          eventId: job.eventId,
          jobId: result.jobId,
          duplicate: result.duplicate,
        },
      };
      return reply.code(202).send({
        status: 'accepted',
        event_id: job.eventId,
        job_id: result.jobId,
        ...(result.duplicate ? { duplicate: true } : {}),
      });
    },
  );
};

function serviceUnavailable(code: string, message: string): HttpError {
  return new HttpError(503, code, message, { 'retry-after': '5' });
}

const queueUnavailable = () =>
  serviceUnavailable('queue_unavailable', 'The queue cannot take the event now; retry later');
