import { type Db, loadTenant } from '@ai-agents/db';
import {
  apiEmbedderDeps,
  createRetrieval,
  type Retrieval,
  type VectorSearchPath,
} from '@ai-agents/retrieval';
import { createTenantClients, ticketHtmlToText } from '@ai-agents/servicedesk';
import {
  createSecretBox,
  EVENTS_QUEUE,
  type Logger,
  type SecretBox,
  safeErrorMessage,
  type WorkerConfig,
} from '@ai-agents/shared';
import type { RedisClient } from '@ai-agents/shared/redis';
import OpenAI from 'openai';
import { breakerMetric } from './fair-share/breaker-metric.js';
import { createFairShare, type FairShare } from './fair-share/fair-share.js';
import type { WorkerMetrics } from './metrics.js';
import { createKnowledgeBase } from './pipeline/knowledge-base.js';
import { budgetedFetch, cachedBudgetOf, createSdpRateLimit } from './pipeline/sdp-rate-limit.js';
import { createTaxonomyCache } from './pipeline/taxonomy-cache.js';
import { createTenantLlms } from './pipeline/tenant-llm.js';
import type { EnhanceDeps } from './processors/enhance-ticket.js';

/** What the processors run on that the configuration does not describe: the open connections. */
export interface EnhanceWiring {
  db: Db;
  logger: Logger;
  /**
   * Shares each Cloud tenant's Zoho token and each tenant's learned note wrapper across every worker
   * process, and holds the per-tenant ServiceDesk Plus call budget. Without it each process keeps its
   * own token and wrapper and the calls are not limited (processor tests).
   */
  redis?: RedisClient;
  /** For the calls to ServiceDesk Plus and the LLM (the worker's keep-alive pool); default: global fetch. */
  fetch?: typeof fetch;
  /** Counts the ServiceDesk Plus calls and times each stage. */
  metrics?: WorkerMetrics;
  /** How similar tickets are searched by meaning, chosen at start-up (start.ts); default the in-worker scan. */
  vectorSearch?: VectorSearchPath;
}

/**
 * The processors' dependencies as the worker builds them from its configuration; the worker's
 * start-up and the tests share this one wiring, so a new dependency is one edit. `overrides`
 * replaces single entries (a test's own knowledge base, a stricter timeout).
 */
export function createEnhanceDeps(
  config: WorkerConfig,
  wiring: EnhanceWiring,
  overrides: Partial<EnhanceDeps> = {},
): EnhanceDeps {
  const box = createSecretBox(config.encryptionKey, config.encryptionKeys);
  const { redis, metrics } = wiring;
  return {
    db: wiring.db,
    sdp: createTenantClients({
      box,
      timeoutMs: config.sdpTimeoutMs,
      // Each call inside a job is metered against its tenant's ServiceDesk Plus budget (fair share).
      fetch: budgetedFetch(metrics ? metrics.countingFetch(wiring.fetch) : wiring.fetch),
      // One Zoho token per Cloud tenant for the whole installation, and the learned note wrapper.
      ...(redis ? { shared: { redis, keyPrefix: config.queuePrefix } } : {}),
      requireHttps: config.isProduction,
    }),
    logger: wiring.logger,
    similarLimit: config.similarTicketsLimit,
    retrieval: retrievalOf(config, wiring),
    knowledgeBase: createKnowledgeBase({ ttlMs: config.kbCacheTtlMs, toText: ticketHtmlToText }),
    contextTimeoutMs: config.contextSourceTimeoutMs,
    llmStep: {
      llm: tenantLlmsOf(config, wiring, box),
      defaultModel: config.llm.model,
      budgetModel: config.llm.budgetModel,
      maxInvalidRetries: config.llm.maxRetries,
      prices: config.llm.prices,
      promptTokenBudget: config.llm.promptTokenBudget,
      taxonomy: createTaxonomyCache({ ttlMs: config.taxonomyCacheTtlMs }),
    },
    box,
    publicBaseUrl: config.publicBaseUrl,
    ...(metrics ? { metrics } : {}),
    ...(redis ? { fairShare: fairShareOf(config, wiring, redis) } : {}),
    alertStorm: config.alertStorm,
    descriptionLimit: config.descriptionLimit,
    retention: { defaults: config.retention },
    ...overrides,
  };
}

/**
 * The installation's LLM client and, per tenant with its own endpoint (`tenant llm --endpoint`), one
 * of its own with the same timeout and retries: the SDK retries 408/409/429/5xx and connection errors
 * with backoff, honouring Retry-After.
 */
function tenantLlmsOf(config: WorkerConfig, wiring: EnhanceWiring, box: SecretBox) {
  const client = {
    timeoutMs: config.llm.timeoutMs,
    maxRetries: config.llm.maxRetries,
    ...(wiring.fetch ? { fetch: wiring.fetch } : {}),
  };
  return createTenantLlms({
    installation: new OpenAI({
      apiKey: config.llm.apiKey,
      baseURL: config.llm.baseUrl,
      timeout: client.timeoutMs,
      maxRetries: client.maxRetries,
      ...(wiring.fetch ? { fetch: wiring.fetch } : {}),
    }),
    box,
    client,
    requireHttps: config.isProduction,
  });
}

/**
 * Similar tickets by words and meaning with the installation's EMBEDDER (docs/context.md): a search
 * answered by BM25 alone and a failed background embed are counted (and the latter logged).
 */
function retrievalOf(config: WorkerConfig, wiring: EnhanceWiring): Retrieval {
  const { metrics, logger } = wiring;
  const kind = config.embeddings.embedder;
  return createRetrieval({
    kind,
    ...(kind === 'openai' && { api: apiEmbedderDeps(config, wiring.db, wiring.fetch) }),
    ...(metrics && { onBm25Only: (reason) => metrics.bm25Only.inc({ reason }) }),
    ...(wiring.vectorSearch && { vectorSearch: wiring.vectorSearch }),
    onBackgroundFailure: (error) => {
      metrics?.backgroundEmbedFailures.inc();
      logger.warn({ reason: safeErrorMessage(error) }, 'tenant history not embedded; BM25 alone meanwhile');
    },
  });
}

/**
 * Fair share across every worker of the installation (apps/worker/src/fair-share/): per-tenant slots,
 * LLM calls in flight, circuit breaker and ServiceDesk Plus budget, all in Redis.
 */
function fairShareOf(config: WorkerConfig, wiring: EnhanceWiring, redis: RedisClient): FairShare {
  const { metrics } = wiring;
  return createFairShare({
    redis,
    queueKey: `${config.queuePrefix}:${EVENTS_QUEUE}`,
    ...config.fairShare,
    // Renewed three times per lease while the job runs; a dead worker's slot comes back within it.
    leaseMs: Math.max(2 * config.lockDurationMs, 30_000),
    sdpRateLimit: createSdpRateLimit({
      redis,
      prefix: config.queuePrefix,
      perMinute: config.sdpRateLimitPerMinute,
      // The budget is the connection's (issue 25); fair-share slots stay per tenant.
      budgetOf: cachedBudgetOf(async (tenantId) => {
        const tenant = await loadTenant({ db: wiring.db, tenantId });
        return tenant
          ? { connectionId: tenant.connection.id, perMinute: tenant.connection.sdpRateLimitPerMinute }
          : null;
      }),
    }),
    ...(metrics ? { onBreakerState: breakerMetric(wiring.db, metrics, wiring.logger) } : {}),
    logger: wiring.logger,
  });
}
