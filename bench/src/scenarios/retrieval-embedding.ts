import { createDatabase, historyTexts, saveEmbeddingModel } from '@ai-agents/db';
import { createRetrieval, embedMissing, encodeLsaFit, fitLsa, lsaEmbedder } from '@ai-agents/retrieval';
import { type DatasetRow, seeded } from '../dataset.js';
import { percentile } from '../stats.js';

export interface EmbeddingRetrievalResult {
  historyTickets: number;
  /** fitLsa() on the whole history (wall clock). */
  fitSeconds: number;
  /** Growth of the process's resident set over the fit: an upper bound of what the fit needed. */
  fitRssMb: number;
  /** Embedding and storing every history ticket's vector (Postgres, row-level security). */
  embedSeconds: number;
  queries: number;
  /** A note's similar-ticket search with the embedding scan and the fusion included. */
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
}

/**
 * The LSA side of retrieval at the one-tenant target: the fit of the large tenant's history, then
 * the worker's own search (createRetrieval().findSimilar: BM25 + the vector scan + fusion) one query
 * at a time, after five warm-up queries that load the tenant's vectors into the cache.
 */
export async function runEmbeddingRetrieval(
  appUrl: string,
  tenantId: string,
  rows: DatasetRow[],
  opts: { queries: number; maxSeconds: number },
  say: (m: string) => void,
): Promise<EmbeddingRetrievalResult> {
  const database = createDatabase({ url: appUrl, max: 2 });
  const scope = { db: database.db, tenantId };
  try {
    const history = await historyTexts(scope);
    say(`retrieval: fitting LSA on ${history.length} tickets`);
    const rssBefore = process.memoryUsage().rss;
    const fitStart = performance.now();
    const model = fitLsa(history.map((h) => h.text));
    const fitSeconds = (performance.now() - fitStart) / 1000;
    const fitRssMb = (process.memoryUsage().rss - rssBefore) / 1024 / 1024;
    const embedStart = performance.now();
    const { modelId, dimensions, fittedOn } = model;
    await saveEmbeddingModel(scope, { modelId, dimensions, fittedOn, fit: encodeLsaFit(model) });
    await embedMissing(scope, lsaEmbedder(model));
    const embedSeconds = (performance.now() - embedStart) / 1000;
    const samples = await measureFusedQueries(scope, rows, opts);
    return {
      historyTickets: history.length,
      fitSeconds,
      fitRssMb,
      embedSeconds,
      queries: samples.length,
      p50Ms: percentile(samples, 50),
      p95Ms: percentile(samples, 95),
      p99Ms: percentile(samples, 99),
    };
  } finally {
    await database.close();
  }
}

async function measureFusedQueries(
  scope: Parameters<typeof historyTexts>[0],
  rows: DatasetRow[],
  opts: { queries: number; maxSeconds: number },
): Promise<number[]> {
  const retrieval = createRetrieval();
  const random = seeded(13);
  const ask = () =>
    retrieval.findSimilar(scope, (rows[Math.floor(random() * rows.length)] as DatasetRow).text, {
      limit: 5,
      timeoutMs: 5_000,
    });
  for (let i = 0; i < 5; i++) await ask();
  const samples: number[] = [];
  const deadline = performance.now() + opts.maxSeconds * 1000;
  for (let i = 0; i < opts.queries && performance.now() < deadline; i++) {
    const t0 = performance.now();
    await ask();
    samples.push(performance.now() - t0);
  }
  return samples;
}
