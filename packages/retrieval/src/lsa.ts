import { createHash } from 'node:crypto';
import type { Embedder } from './embedder.js';
import {
  buildVocabulary,
  numberedTfIdfRow,
  numberTerms,
  tfIdfRow,
  tokenize,
  type Vocabulary,
} from './tf-idf.js';
import { truncatedSvd } from './truncated-svd.js';

/*
 * Latent semantic analysis fitted on one tenant's own history (TF-IDF + truncated SVD, k = 100):
 * words that occur in the same tickets load on the same components, so two tickets about one problem
 * in different words land close together. No outside call; a fit of 50,000 tickets takes a few
 * seconds (bench: `npm run bench -- --only=retrieval`). Measured in docs/context.md.
 */

export const LSA_DIMENSIONS = 100;

/** What a fit leaves behind: enough to embed any new text, and to store and load. */
export interface LsaModel {
  modelId: string;
  terms: string[];
  idf: Float64Array;
  /** terms × dimensions, row-major. */
  components: Float32Array;
  dimensions: number;
  /** Tickets the model was fitted on: a refit is due when the history has grown by about a fifth. */
  fittedOn: number;
}

/**
 * Fits the model on `texts` (the tenant's history, in a stable order such as by external id). The
 * same history gives the same model and model id.
 */
export function fitLsa(texts: string[], dimensions = LSA_DIMENSIONS): LsaModel {
  const history = numberTerms(texts);
  const vocabulary = buildVocabulary(history);
  const rows = history.docs.map((doc) => numberedTfIdfRow(doc, vocabulary));
  const { components, k } = truncatedSvd(rows, vocabulary.terms.length, dimensions);
  const hash = createHash('sha256');
  for (const text of texts) hash.update(text.slice(0, 4_000)).update('\0');
  return {
    modelId: `lsa-k${k}-${hash.digest('hex').slice(0, 16)}`,
    terms: vocabulary.terms,
    idf: vocabulary.idf,
    components,
    dimensions: k,
    fittedOn: texts.length,
  };
}

/** True when the history has grown by about a fifth since the fit: time to refit in the background. */
export function lsaRefitDue(model: Pick<LsaModel, 'fittedOn'>, historySize: number): boolean {
  return historySize >= Math.max(model.fittedOn * 1.2, model.fittedOn + 1);
}

/** The Embedder over a fitted model: fold a text into the model's space, L2-normalised. */
export function lsaEmbedder(model: LsaModel): Embedder {
  const vocabulary: Vocabulary = {
    terms: model.terms,
    idf: model.idf,
    index: new Map(model.terms.map((t, i) => [t, i])),
  };
  const embedOne = (text: string): Float32Array => {
    const row = tfIdfRow(tokenize(text), vocabulary);
    const k = model.dimensions;
    const out = new Float64Array(k);
    for (let e = 0; e < row.terms.length; e++) {
      const base = (row.terms[e] as number) * k;
      const w = row.weights[e] as number;
      for (let c = 0; c < k; c++) out[c] = (out[c] ?? 0) + w * (model.components[base + c] ?? 0);
    }
    return normalise(out);
  };
  return {
    modelId: model.modelId,
    dimensions: model.dimensions,
    embed: async (texts) => texts.map(embedOne),
  };
}

function normalise(v: Float64Array): Float32Array {
  let norm = 0;
  for (const x of v) norm += x * x;
  norm = Math.sqrt(norm);
  return Float32Array.from(v, (x) => (norm > 0 ? x / norm : 0));
}
