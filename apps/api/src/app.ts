import type { Db } from '@ai-agents/db';
import type { Logger } from '@ai-agents/shared';
import { probeRedis, type RedisClient } from '@ai-agents/shared/redis';
import helmet from '@fastify/helmet';
import type { Queue } from 'bullmq';
import Fastify, {
  type FastifyError,
  type FastifyInstance,
  LogController,
  type RawReplyDefaultExpression,
  type RawRequestDefaultExpression,
  type RawServerDefault,
} from 'fastify';
import { createAccessLogger, lazyRequestLogger, writeAccessLog } from './access-log.js';
import { HttpError } from './errors.js';
import type { ApiMetrics } from './metrics.js';
import { feedbackRoutes } from './routes/feedback.js';
import { healthRoutes } from './routes/health.js';
import { metricsRoutes } from './routes/metrics.js';
import { webhookRoutes } from './routes/webhook.js';
import type { TenantAuth } from './webhook/tenant-auth.js';

export interface AppDeps {
  logger: Logger;
  db: Db;
  redis: RedisClient;
  queue: Queue;
  tenantAuth: TenantAuth;
  webhookBodyLimitBytes: number;
  webhookToleranceSeconds: number;
  /** Installation default; a tenant row may set its own. */
  webhookRateLimitPerMinute?: number;
  /** Unfinished jobs a tenant may have queued before its webhooks get 429. */
  tenantBacklogLimit?: number;
  /** Feedback requests (page or post) per client address per minute. */
  feedbackRateLimitPerMinute?: number;
  trustProxy?: boolean | number | string[];
  /** Where browsers reach this API (PUBLIC_BASE_URL): the feedback form posts there. */
  publicBaseUrl?: string;
  /** Prometheus metrics; served on GET /metrics when given. */
  metrics?: ApiMetrics;
  /**
   * Runs before the first route is added. The OpenAPI generator (openapi/document.ts) registers
   * @fastify/swagger here, which collects the routes as they are added; the server passes nothing,
   * so the running API serves no documentation.
   */
  beforeRoutes?: (
    app: FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, Logger>,
  ) => PromiseLike<unknown>;
}

/** The whole HTTP app as one instance: server.ts listens on it, tests call inject() on it. */
export async function buildApp(deps: AppDeps) {
  const app = Fastify({
    loggerInstance: deps.logger,
    // One access line per request from onResponse below, instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    // request.log made when first written to, not for every request (access-log.ts).
    childLoggerFactory: lazyRequestLogger,
    trustProxy: trustProxyOption(deps.trustProxy),
    // Bodies of non-webhook routes are tiny; the webhook route sets its own limit.
    bodyLimit: 16 * 1024,
    requestTimeout: 30_000,
    return503OnClosing: true,
  });

  await app.register(helmet);

  app.decorateRequest('accessLog', null);
  const accessLogger = createAccessLogger(deps.logger);
  app.addHook('onResponse', async (request, reply) => {
    // The route pattern, never the raw URL, so slugs and probes cannot create new series.
    const route = request.routeOptions.url ?? 'unmatched';
    deps.metrics?.observeRequest(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
    writeAccessLog(accessLogger, request, reply, route);
  });

  app.setErrorHandler((error: FastifyError | HttpError, request, reply) => {
    if (error instanceof HttpError) {
      return reply
        .code(error.statusCode)
        .headers(error.headers)
        .send({ error: error.code, message: error.message });
    }
    const mapped = mapFastifyError(error as FastifyError, deps.webhookBodyLimitBytes);
    if (mapped) return reply.code(mapped.statusCode).send({ error: mapped.code, message: mapped.message });
    request.log.error({ err: error }, 'unhandled error');
    return reply.code(500).send({ error: 'internal_error', message: 'Internal server error' });
  });

  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .send({ error: 'not_found', message: `No route for ${request.method} ${request.url.split('?')[0]}` }),
  );

  await deps.beforeRoutes?.(app);
  await app.register(healthRoutes, {
    db: deps.db,
    redisProbe: () => probeRedis(deps.redis, deps.queue.opts.prefix ?? 'bull'),
  });
  if (deps.metrics) await app.register(metricsRoutes, { registry: deps.metrics.registry });
  await app.register(webhookRoutes, {
    metrics: deps.metrics,
    queue: deps.queue,
    redis: deps.redis,
    tenantAuth: deps.tenantAuth,
    bodyLimitBytes: deps.webhookBodyLimitBytes,
    toleranceSeconds: deps.webhookToleranceSeconds,
    rateLimitPerMinute: deps.webhookRateLimitPerMinute ?? 150,
    backlogLimit: deps.tenantBacklogLimit ?? 1_000,
  });
  await app.register(feedbackRoutes, {
    db: deps.db,
    tenantAuth: deps.tenantAuth,
    toleranceSeconds: deps.webhookToleranceSeconds,
    publicBaseUrl: deps.publicBaseUrl ?? '',
    metrics: deps.metrics,
    redis: deps.redis,
    redisKeyPrefix: deps.queue.opts.prefix ?? 'bull',
    rateLimitPerMinute: deps.feedbackRateLimitPerMinute ?? 20,
  });
  return app;
}

/** Fastify's own 4xx errors, in this API's error shape. Unknown errors stay 500 with no details. */
function mapFastifyError(error: FastifyError, bodyLimit: number): HttpError | null {
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return error.statusCode === 415
        ? new HttpError(415, 'unsupported_media_type', 'Content-Type must be application/json')
        : new HttpError(400, 'bad_request', error.message);
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new HttpError(413, 'payload_too_large', `Body exceeds the limit of ${bodyLimit} bytes`);
    case 'FST_ERR_VALIDATION':
      return new HttpError(400, 'bad_request', error.message);
    default:
      if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
        return new HttpError(error.statusCode, 'bad_request', error.message);
      }
      return null;
  }
}

/** A hop count means "trust the last N proxies"; Fastify takes that as a function of the hop index. */
function trustProxyOption(value: AppDeps['trustProxy']) {
  if (typeof value === 'number') return (_address: string, hop: number) => hop < value;
  return value ?? false;
}

export type ApiApp = Awaited<ReturnType<typeof buildApp>>;
