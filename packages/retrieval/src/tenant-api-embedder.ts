import { type Db, recordEmbeddingUsage } from '@ai-agents/db';
import { estimateCost, type WorkerConfig } from '@ai-agents/shared';
import OpenAI from 'openai';
import { createApiEmbedder } from './api-embedder.js';
import type { Embedder } from './embedder.js';

/** What the embeddings API embedders of all tenants share: one client, the settings, the prices. */
export interface ApiEmbedderDeps {
  db: Db;
  client: OpenAI;
  settings: WorkerConfig['embeddings'];
  prices: WorkerConfig['llm']['prices'];
}

/**
 * The installation's client for the embeddings API: the LLM's key and base URL (an OpenAI-compatible
 * server serves both), with the embeddings' own timeout and retries per request.
 */
export function apiEmbedderDeps(
  config: WorkerConfig,
  db: Db,
  fetch?: typeof globalThis.fetch,
): ApiEmbedderDeps {
  return {
    db,
    client: new OpenAI({
      apiKey: config.llm.apiKey,
      baseURL: config.llm.baseUrl,
      timeout: config.embeddings.timeoutMs,
      maxRetries: config.embeddings.maxRetries,
      ...(fetch && { fetch }),
    }),
    settings: config.embeddings,
    prices: config.llm.prices,
  };
}

/**
 * A tenant's embeddings API embedder: the tenant's model, else the installation's (as the LLM's
 * model is chosen), with every answered request's tokens and estimated cost recorded for the tenant,
 * so they count in its monthly token budget and in the usage report. A tenant's own model keeps
 * the installation's EMBEDDING_DIMENSIONS only when it is the installation's model.
 */
export function tenantApiEmbedder(
  deps: ApiEmbedderDeps,
  tenant: { id: string; embeddingModel: string | null },
): Embedder {
  const model = tenant.embeddingModel ?? deps.settings.model;
  const scope = { db: deps.db, tenantId: tenant.id };
  return createApiEmbedder({
    client: deps.client,
    model,
    dimensions: model === deps.settings.model ? deps.settings.dimensions : undefined,
    batchSize: deps.settings.batchSize,
    timeoutMs: deps.settings.timeoutMs,
    maxRetries: deps.settings.maxRetries,
    onUsage: ({ tokens }) =>
      recordEmbeddingUsage(scope, { model, tokens, costUsd: estimateCost(deps.prices, model, tokens, 0) }),
  });
}
