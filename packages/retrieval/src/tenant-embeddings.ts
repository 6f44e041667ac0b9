import {
  dropEmbeddingModelsExcept,
  hasEmbeddingModel,
  historySize,
  historyTexts,
  historyWithoutVectors,
  listEmbeddingModels,
  mirrorMissingPgvectors,
  saveEmbeddingModel,
  saveTicketVectors,
  type TenantScope,
} from '@ai-agents/db';
import type { Embedder } from './embedder.js';
import { fitLsa, lsaEmbedder, lsaRefitDue } from './lsa.js';
import { decodeLsaFit, encodeLsaFit } from './lsa-fit-blob.js';
import { MIN_HISTORY_FOR_EMBEDDINGS } from './similar-tickets.js';

/*
 * A tenant's embeddings kept in step with its history: fit (LSA) at backfill and CSV import, refit
 * when the history has grown by about a fifth, re-embed on a model change. Runs in background jobs,
 * never on a note's path: until the new model's vectors are all written, retrieval keeps the previous
 * model (or BM25 alone), because the new model is recorded, and the previous one dropped, only then.
 */

// Vectors written per statement: 500 × 400 bytes keeps a statement well under a megabyte.
const BATCH = 500;

/** The tenant's current LSA embedder, or null before its first fit. */
export async function currentLsaEmbedder(scope: TenantScope): Promise<Embedder | null> {
  const newest = (await listEmbeddingModels(scope)).find((m) => m.fit);
  return newest?.fit ? lsaEmbedder(decodeLsaFit(newest.fit)) : null;
}

/**
 * Fits a new LSA model on the tenant's whole history when there is none yet, `force` is set, or the
 * history has grown by a fifth since the fit; then embeds the whole history under it and drops older
 * models. Returns the model id now in use, or null while the history is too small to fit on.
 */
export async function refreshTenantLsa(
  scope: TenantScope,
  options: { force?: boolean } = {},
): Promise<string | null> {
  // An embeddings-API model left from EMBEDDER=openai does not count: under EMBEDDER=lsa the first
  // fit replaces it (and drops its vectors), BM25 alone meanwhile.
  const newest = (await listEmbeddingModels(scope)).find((m) => m.fit);
  // Checked on the history's size (one row) first: this runs after every ticket added.
  if (newest?.fit && !options.force && !lsaRefitDue(newest, await historySize(scope))) {
    await embedMissing(scope, lsaEmbedder(decodeLsaFit(newest.fit)));
    return newest.modelId;
  }
  const history = await historyTexts(scope);
  // Too few tickets to learn which words go together: BM25 alone until there are more.
  if (history.length < MIN_HISTORY_FOR_EMBEDDINGS) return null;
  const model = fitLsa(history.map((h) => h.text));
  // Vectors first, the model row after: the worker uses the newest model row, so it goes on with
  // the previous model until every ticket has a vector under the new one.
  await embedMissing(scope, lsaEmbedder(model));
  await saveEmbeddingModel(scope, {
    modelId: model.modelId,
    dimensions: model.dimensions,
    fittedOn: model.fittedOn,
    fit: encodeLsaFit(model),
  });
  // Also removes vectors a refit interrupted half-way left without a model row.
  await dropEmbeddingModelsExcept(scope, model.modelId);
  return model.modelId;
}

/**
 * EMBEDDER=openai: embeds every history ticket without a vector under the API embedder's model (all
 * of them after a change of model), then records the model and drops the others with their vectors.
 * Until the model is recorded, retrieval uses BM25 alone for the tenant (`hasEmbeddingModel`). Paid
 * per token: a failure half-way keeps what was written, and the next run embeds only the rest.
 */
export async function refreshTenantApiEmbeddings(scope: TenantScope, embedder: Embedder): Promise<string> {
  await embedMissing(scope, embedder);
  if (!(await hasEmbeddingModel(scope, embedder.modelId))) {
    await saveEmbeddingModel(scope, {
      modelId: embedder.modelId,
      dimensions: embedder.dimensions,
      fittedOn: await historySize(scope),
      fit: null,
    });
    await dropEmbeddingModelsExcept(scope, embedder.modelId);
  }
  return embedder.modelId;
}

/** Embeds every history ticket that has no vector under the embedder's model yet; returns how many. */
export async function embedMissing(scope: TenantScope, embedder: Embedder): Promise<number> {
  let written = 0;
  let after: string | undefined;
  for (;;) {
    const { missing: batch, last } = await historyWithoutVectors(scope, embedder.modelId, BATCH, after);
    if (last === null) {
      // Vectors written before the pgvector store existed are mirrored into it (a no-op without it).
      await mirrorMissingPgvectors(scope, embedder.modelId);
      return written;
    }
    after = last;
    if (batch.length === 0) continue;
    const vectors = await embedder.embed(batch.map((h) => h.text));
    await saveTicketVectors(
      scope,
      embedder.modelId,
      batch.map((h, i) => ({ historyId: h.historyId, vector: vectors[i] as Float32Array })),
    );
    written += batch.length;
  }
}
