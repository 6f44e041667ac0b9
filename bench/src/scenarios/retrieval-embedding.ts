import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDatabase, historyTexts, saveEmbeddingModel } from '@ai-agents/db';
import {
  createRetrieval,
  decodeLsaFit,
  embedMissing,
  encodeLsaFit,
  type LsaModel,
  lsaEmbedder,
} from '@ai-agents/retrieval';
import pg from 'pg';
import { type DatasetRow, loadDataset, resampleTickets, seeded } from '../dataset.js';
import type { Stack } from '../stack.js';
import { percentile } from '../stats.js';
import { loadHistory, vacuum } from './retrieval.js';

export interface EmbeddingRetrievalResult {
  historyTickets: number;
  /** fitLsa() on the whole history, in a process of its own (wall clock). */
  fitSeconds: number;
  /** The same fit's CPU time: what the fit costs when the machine is busy with other work. */
  fitCpuSeconds: number;
  /** The fit's peak memory: the child's peak resident set (VmHWM) less its resident set before the fit. */
  fitPeakMb: number;
  /** The child's peak resident set, Node and the texts included. */
  fitProcessPeakMb: number;
  /** The machine's 1-minute load average when the fit ended (2 cores here: above 2, timings stretch). */
  fitLoadAverage: number;
  /** Embedding and storing every history ticket's vector (Postgres, row-level security). */
  embedSeconds: number;
  queries: number;
  /** A note's similar-ticket search with the embedding scan and the fusion included. */
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
}

/**
 * Scenario retrieval-meaning: `tickets` resampled history tickets in one tenant (the same seed as
 * the retrieval scenario's large tenant, so the same tickets), then the fit and the fused search.
 * A scenario of its own, with its own tenant and nothing else loaded: the 250,000 tickets of the
 * retrieval scenario take most of a loaded machine's time budget before this part would start.
 */
export async function runRetrievalByMeaning(
  stack: Stack,
  opts: { tickets: number; queries: number; maxSeconds: number },
  say: (m: string) => void,
): Promise<EmbeddingRetrievalResult> {
  const rows = loadDataset();
  const tenantId = (await stack.addTenant('bench-meaning')).id;
  say(`retrieval-meaning: loading ${opts.tickets} history tickets into one tenant`);
  const owner = new pg.Client({ connectionString: stack.database.ownerUrl });
  await owner.connect();
  try {
    await loadHistory(owner, tenantId, resampleTickets(rows, opts.tickets, 7));
    await vacuum(owner);
  } finally {
    await owner.end();
  }
  return runEmbeddingRetrieval(stack.database.appUrl, tenantId, rows, opts, say);
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
    say(`retrieval-meaning: fitting LSA on ${history.length} tickets in a child process`);
    const { model, ...fit } = await fitInChild(history.map((h) => h.text));
    // In the log at once: a run stopped by its time budget later still shows the fit.
    say(
      `retrieval-meaning: fit ${fit.fitSeconds.toFixed(1)} s (CPU ${fit.fitCpuSeconds.toFixed(1)} s, load ${fit.fitLoadAverage.toFixed(1)}), peak ${fit.fitPeakMb.toFixed(0)} MB above the process before it (process ${fit.fitProcessPeakMb.toFixed(0)} MB); embedding and storing the history`,
    );
    const embedStart = performance.now();
    const { modelId, dimensions, fittedOn } = model;
    await saveEmbeddingModel(scope, { modelId, dimensions, fittedOn, fit: encodeLsaFit(model) });
    await embedMissing(scope, lsaEmbedder(model));
    const embedSeconds = (performance.now() - embedStart) / 1000;
    const samples = await measureFusedQueries(scope, rows, opts);
    return {
      historyTickets: history.length,
      ...fit,
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

/** fitLsa() in a child process (lsa-fit-child.ts): its model, and what the fit took. */
async function fitInChild(
  texts: string[],
): Promise<
  { model: LsaModel } & Pick<
    EmbeddingRetrievalResult,
    'fitSeconds' | 'fitCpuSeconds' | 'fitPeakMb' | 'fitProcessPeakMb' | 'fitLoadAverage'
  >
> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-lsa-'));
  try {
    const textsFile = join(dir, 'texts.json');
    const fitFile = join(dir, 'fit.bin');
    await writeFile(textsFile, JSON.stringify(texts));
    const child = fileURLToPath(new URL('./lsa-fit-child.js', import.meta.url));
    const line = await new Promise<string>((resolve, reject) => {
      const proc = spawn(process.execPath, [child, textsFile, fitFile], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      proc.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
      });
      proc.stderr.on('data', (chunk: Buffer) => {
        err = (err + chunk.toString()).slice(-2_000);
      });
      proc.on('error', reject);
      proc.on('close', (code) =>
        code === 0 ? resolve(out.trim()) : reject(new Error(`LSA fit child exited ${code}: ${err}`)),
      );
    });
    const fitLoadAverage = loadavg()[0] ?? 0;
    const measured = JSON.parse(line) as {
      fitSeconds: number;
      fitCpuSeconds: number;
      rssBeforeMb: number;
      peakRssMb: number;
    };
    return {
      model: decodeLsaFit(await readFile(fitFile)),
      fitSeconds: measured.fitSeconds,
      fitCpuSeconds: measured.fitCpuSeconds,
      fitPeakMb: measured.peakRssMb - measured.rssBeforeMb,
      fitProcessPeakMb: measured.peakRssMb,
      fitLoadAverage,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
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
