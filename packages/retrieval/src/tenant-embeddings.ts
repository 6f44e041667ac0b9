import {
  dropEmbeddingModelsExcept,
  historySize,
  historyTexts,
  historyWithoutVectors,
  listEmbeddingModels,
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
 * model (or BM25 alone), because the previous model is dropped only at the end.
 */

// Vectors written per statement: 500 × 400 bytes keeps a statement well under a megabyte.
const BATCH = 500;

/** The tenant's current LSA embedder, or null before its first fit. */
export async function currentLsaEmbedder(scope: TenantScope): Promise<Embedder | null> {
  const [newest] = await listEmbeddingModels(scope);
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
  const [newest] = await listEmbeddingModels(scope);
  // An embeddings-API model is the tenant's choice: re-embedding it is that embedder's job.
  if (newest && !newest.fit) return newest.modelId;
  // Checked on the history's size (one row) first: this runs after every ticket added.
  if (newest?.fit && !options.force && !lsaRefitDue(newest, await historySize(scope))) {
    await embedMissing(scope, lsaEmbedder(decodeLsaFit(newest.fit)));
    return newest.modelId;
  }
  const history = await historyTexts(scope);
  // Too few tickets to learn which words go together: BM25 alone until there are more.
  if (history.length < MIN_HISTORY_FOR_EMBEDDINGS) return null;
  const model = fitLsa(history.map((h) => h.text));
  await saveEmbeddingModel(scope, {
    modelId: model.modelId,
    dimensions: model.dimensions,
    fittedOn: model.fittedOn,
    fit: encodeLsaFit(model),
  });
  await embedMissing(scope, lsaEmbedder(model));
  await dropEmbeddingModelsExcept(scope, model.modelId);
  return model.modelId;
}

/** Embeds every history ticket that has no vector under the embedder's model yet; returns how many. */
export async function embedMissing(scope: TenantScope, embedder: Embedder): Promise<number> {
  let written = 0;
  for (;;) {
    const batch = await historyWithoutVectors(scope, embedder.modelId, BATCH);
    if (batch.length === 0) return written;
    const vectors = await embedder.embed(batch.map((h) => h.text));
    await saveTicketVectors(
      scope,
      embedder.modelId,
      batch.map((h, i) => ({ historyId: h.historyId, vector: vectors[i] as Float32Array })),
    );
    written += batch.length;
  }
}
