import { hasEmbeddingModel, type TenantScope } from '@ai-agents/db';
import type { Embedder } from './embedder.js';
import { type ApiEmbedderDeps, tenantApiEmbedder } from './tenant-api-embedder.js';
import { currentLsaEmbedder, refreshTenantApiEmbeddings, refreshTenantLsa } from './tenant-embeddings.js';

/*
 * The installation's EMBEDDER, per tenant: which embedder a note's query uses, and the background
 * upkeep after the history changes. A note never waits for a fit or a bulk embed: until the tenant's
 * vectors are all written under its current model, the query gets no embedder and BM25 answers alone.
 */

export type EmbedderKind = 'lsa' | 'openai' | 'none';

// A tenant's model is looked up again after a minute: a refit or a finished re-embed is picked up
// within it, and a busy tenant costs one small statement a minute.
const MODEL_AGE_MS = 60_000;
// LSA fits kept at once: 100 dimensions × up to 30,000 terms is at most 12 MB each.
const MAX_TENANT_MODELS = 16;
// After a failed background embed (the API down, a wrong key), the next note of that tenant does not
// start another for this long: a note a second must not become an API call storm.
const RETRY_BACKGROUND_MS = 5 * 60_000;

export interface TenantEmbeddersOptions {
  kind: EmbedderKind;
  /** Required for kind 'openai': the installation's client, settings and prices. */
  api?: ApiEmbedderDeps;
  /** A background embed failed (logged and counted by the worker; retried after a pause). */
  onBackgroundFailure?: (error: unknown) => void;
}

export interface TenantEmbedders {
  /**
   * The embedder whose vectors are complete for the tenant, or null. Under 'openai', a tenant whose
   * model (`embeddingModel`, else the installation's) has no vectors yet gets null and a background
   * embed of its history in this process.
   */
  forQuery(scope: TenantScope, embeddingModel: string | null): Promise<Embedder | null>;
  /** After the history changed (a background job): embed what has none, refit LSA when due. */
  refresh(scope: TenantScope, embeddingModel: string | null): Promise<string | null>;
  /** Resolves when this process's background embeds have ended (tests, shutdown). */
  idle(): Promise<void>;
}

export function createTenantEmbedders(options: TenantEmbeddersOptions): TenantEmbedders {
  if (options.kind === 'openai' && !options.api) throw new Error('EMBEDDER=openai needs the API embedder');
  const models = new Map<string, { embedder: Embedder | null; loadedAt: number }>();
  const background = new Map<string, Promise<void>>();
  const failedAt = new Map<string, number>();
  const apiEmbedder = (tenantId: string, embeddingModel: string | null) =>
    tenantApiEmbedder(options.api as ApiEmbedderDeps, { id: tenantId, embeddingModel });

  /** One background embed per tenant and model in this process, none soon after a failure. */
  const embedInBackground = (scope: TenantScope, embedder: Embedder) => {
    const key = `${scope.tenantId}\0${embedder.modelId}`;
    if (background.has(key) || Date.now() - (failedAt.get(key) ?? -Infinity) < RETRY_BACKGROUND_MS) return;
    // Without the note's statement timeout: the embed outlives the note.
    const run = refreshTenantApiEmbeddings({ db: scope.db, tenantId: scope.tenantId }, embedder)
      .then(
        () => {
          failedAt.delete(key);
          models.delete(scope.tenantId);
        },
        (error: unknown) => {
          failedAt.set(key, Date.now());
          options.onBackgroundFailure?.(error);
        },
      )
      .finally(() => background.delete(key));
    background.set(key, run);
  };

  const lookUp = async (scope: TenantScope, embeddingModel: string | null): Promise<Embedder | null> => {
    if (options.kind === 'none') return null;
    if (options.kind === 'lsa') return currentLsaEmbedder(scope);
    const embedder = apiEmbedder(scope.tenantId, embeddingModel);
    if (await hasEmbeddingModel(scope, embedder.modelId)) return embedder;
    embedInBackground(scope, embedder);
    return null;
  };

  return {
    async forQuery(scope, embeddingModel) {
      const hit = models.get(scope.tenantId);
      if (hit && Date.now() - hit.loadedAt < MODEL_AGE_MS && sameModel(hit.embedder, options, embeddingModel))
        return hit.embedder;
      const embedder = await lookUp(scope, embeddingModel);
      models.delete(scope.tenantId);
      // Only a ready model is kept: a tenant waiting for its embed is asked again at its next note.
      if (embedder || options.kind !== 'openai')
        models.set(scope.tenantId, { embedder, loadedAt: Date.now() });
      // Bounded: the models of the tenants used longest ago go first.
      for (const oldest of models.keys()) {
        if (models.size <= MAX_TENANT_MODELS) break;
        models.delete(oldest);
      }
      return embedder;
    },
    async refresh(scope, embeddingModel) {
      if (options.kind === 'none') return null;
      if (options.kind === 'lsa') return refreshTenantLsa(scope);
      return refreshTenantApiEmbeddings(scope, apiEmbedder(scope.tenantId, embeddingModel));
    },
    async idle() {
      await Promise.all(background.values());
    },
  };
}

/** A cached API embedder still fits when the tenant's model has not changed since (set by the admin). */
function sameModel(
  cached: Embedder | null,
  options: TenantEmbeddersOptions,
  embeddingModel: string | null,
): boolean {
  if (options.kind !== 'openai' || !cached) return true;
  const model = embeddingModel ?? options.api?.settings.model;
  return cached.modelId.startsWith(`api:${model}:`);
}
