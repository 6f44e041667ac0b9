import {
  apiEmbedderAt,
  type Embedder,
  type FusionMethod,
  fitLsa,
  fuse,
  LSA_BM25_WEIGHT,
  lsaEmbedder,
  type Ranked,
  VectorIndex,
} from '@ai-agents/retrieval';

/*
 * The embedding side of the retrieval eval: fits the embedder on the imported history, collects both
 * rankings (BM25 from the product's SQL, cosine from the vector index) once per query, then scores
 * any fusion configuration on them without querying again, so a sweep of weights costs one pass.
 */

export type EmbedderName = 'lsa' | 'openai' | 'none';
export const EMBEDDERS: readonly EmbedderName[] = ['lsa', 'openai', 'none'];
export const FUSIONS: readonly FusionMethod[] = ['weighted', 'rrf', 'none'];
// Each ranking contributes its first 100 to the fusion, as in the reference measurement (issue 26).
export const CANDIDATES = 100;
const K = 5;

export interface EvalRow {
  id: string;
  text: string;
  label: string;
  /** The history ticket a query must not find (itself, or the ticket a paraphrase was written from). */
  excludeId?: string;
  language?: string;
}

export interface Rankings {
  row: EvalRow;
  bm25: Ranked[];
  cosine: Ranked[];
}

/** Where `--embedder openai` sends the texts: an OpenAI-compatible /v1/embeddings. */
export interface EvalApiSettings {
  apiKey: string;
  baseUrl?: string;
  model: string;
  dimensions?: number;
}

/**
 * The embeddings API of a run, from the developer's environment (this tool, like the test helpers,
 * reads it itself): EMBEDDING_API_KEY and EMBEDDING_BASE_URL, else the worker's OPENAI_API_KEY and
 * OPENAI_BASE_URL; EMBEDDING_MODEL and EMBEDDING_DIMENSIONS as the worker reads them. Null without a key.
 */
export function evalApiSettings(env: Record<string, string | undefined>): EvalApiSettings | null {
  const apiKey = env.EMBEDDING_API_KEY || env.OPENAI_API_KEY;
  if (!apiKey) return null;
  const baseUrl = env.EMBEDDING_BASE_URL || env.OPENAI_BASE_URL;
  const dimensions = env.EMBEDDING_DIMENSIONS ? Number(env.EMBEDDING_DIMENSIONS) : undefined;
  if (dimensions !== undefined && !(Number.isInteger(dimensions) && dimensions > 0))
    throw new Error('EMBEDDING_DIMENSIONS must be a positive integer');
  return {
    apiKey,
    model: env.EMBEDDING_MODEL || 'text-embedding-3-small',
    ...(baseUrl && { baseUrl }),
    ...(dimensions && { dimensions }),
  };
}

/** The embedder a run asks for, fitted on (or aware of) the history; null for 'none'. */
export async function evalEmbedder(
  name: EmbedderName,
  history: EvalRow[],
  api: EvalApiSettings | null,
): Promise<Embedder | null> {
  if (name === 'none') return null;
  if (name === 'lsa') return lsaEmbedder(fitLsa(history.map((r) => r.text)));
  if (!api) throw new Error('--embedder openai needs EMBEDDING_API_KEY (or OPENAI_API_KEY)');
  return apiEmbedderAt({
    apiKey: api.apiKey,
    ...(api.baseUrl && { baseUrl: api.baseUrl }),
    model: api.model,
    ...(api.dimensions && { dimensions: api.dimensions }),
    // The worker's defaults (EMBEDDING_BATCH_SIZE, EMBEDDING_MAX_RETRIES); a batch of history may
    // take a few seconds, a slow API more.
    batchSize: 128,
    timeoutMs: 60_000,
    maxRetries: 2,
  });
}

/** Both rankings for every query row over the history; cosine is empty without an embedder. */
export async function collectRankings(
  history: EvalRow[],
  rows: EvalRow[],
  embedder: Embedder | null,
  bm25: (row: EvalRow) => Promise<Ranked[]>,
  forEach: (items: EvalRow[], fn: (row: EvalRow) => Promise<void>) => Promise<void>,
): Promise<Rankings[]> {
  const index = embedder
    ? new VectorIndex(
        history.map((r) => r.id),
        await embedder.embed(history.map((r) => r.text)),
        embedder.dimensions,
      )
    : null;
  const byId = new Map<string, Rankings>();
  await forEach(rows, async (row) => {
    const cosine = index
      ? index.search(
          (await (embedder as Embedder).embed([row.text]))[0] as Float32Array,
          CANDIDATES,
          row.excludeId ?? row.id,
        )
      : [];
    byId.set(row.id, { row, bm25: await bm25(row), cosine });
  });
  return rows.map((r) => byId.get(r.id) as Rankings);
}

export interface FusionConfig {
  fusion: FusionMethod;
  bm25Weight: number;
}

/** precision@5 of one configuration over the collected rankings (leave-one-out: a row never finds itself). */
export function precisionAt5(
  rankings: Rankings[],
  labels: Map<string, string>,
  config: FusionConfig,
): number {
  let sum = 0;
  for (const { row, bm25, cosine } of rankings) {
    const method = cosine.length === 0 ? 'none' : config.fusion;
    const top = fuse(bm25, cosine, { method, limit: K, bm25Weight: config.bm25Weight });
    sum += top.filter((t) => labels.get(t.id) === row.label).length / K;
  }
  return rankings.length === 0 ? 0 : sum / rankings.length;
}

/** The BM25 weight of the weighted fusion with the best precision@5, in steps of 0.1 (ties: the lower). */
export function bestWeight(
  rankings: Rankings[],
  labels: Map<string, string>,
): { weight: number; precision: number } {
  let best = { weight: LSA_BM25_WEIGHT, precision: -1 };
  for (let step = 0; step <= 10; step++) {
    const weight = step / 10;
    const precision = precisionAt5(rankings, labels, { fusion: 'weighted', bm25Weight: weight });
    if (precision > best.precision + 1e-9) best = { weight, precision };
  }
  return best;
}

/** precision@5 per language of the queries (and over all of them). */
export function paraphraseReport(
  rankings: Rankings[],
  labels: Map<string, string>,
  config: FusionConfig,
): Record<string, number> {
  const languages = [...new Set(rankings.map((r) => r.row.language ?? '?'))].sort();
  const report: Record<string, number> = { all: round3(precisionAt5(rankings, labels, config)) };
  for (const language of languages)
    report[language] = round3(
      precisionAt5(
        rankings.filter((r) => (r.row.language ?? '?') === language),
        labels,
        config,
      ),
    );
  return report;
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}
