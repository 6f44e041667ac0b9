import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import {
  createDatabase,
  type Database,
  dropDatabase,
  ensureDatabase,
  findSimilarTickets,
  runMigrations,
} from '@ai-agents/db';
import { type FusionMethod, LSA_BM25_WEIGHT } from '@ai-agents/retrieval';
import { stripBoilerplate } from '@ai-agents/shared';
import { parse } from 'csv-parse/sync';
import pg from 'pg';
import { importHistoryCsv } from '../history/csv-history.js';
import {
  bestWeight,
  CANDIDATES,
  collectRankings,
  EMBEDDERS,
  type EmbedderName,
  type EvalRow,
  evalEmbedder,
  FUSIONS,
  paraphraseReport,
  precisionAt5,
} from './retrieval-fusion.js';

/*
 * Retrieval quality and speed, measured through the product's own code: a fresh database with the
 * real migrations, the CSV history import, and findSimilarTickets() under row-level security as the
 * application role. Usage:
 *   npm run eval:retrieval -- --csv FILE            precision@5 (leave-one-out) of what an installation
 *       gets by default: the LSA embedder fused with BM25 (weighted, BM25 weight LSA_BM25_WEIGHT)
 *     [--embedder lsa|openai|none] [--fusion weighted|rrf|none] [--bm25-weight W]
 *     [--paraphrases FILE]   also precision@5 per language of paraphrases (columns id,source_id,
 *       language,text,topic_group) asked of the same history, the source ticket left out; the set of
 *       80 (English, German, French, Spanish) is apps/api/src/eval/data/multilingual-paraphrases.csv
 *     [--sweep]   also the BM25 weight (0, 0.1, … 1) with the best precision@5: how the default was chosen
 *     [--no-strip]   keep e-mail boilerplate in history and queries (the product strips it, as the
 *       default run does): precision@5 with and without stripping
 *   npm run bench:retrieval -- --csv FILE [--tickets 50000] [--queries 1000]
 * A developer tool like the test helpers: it reads TEST_DATABASE_URL / DATABASE_URL (an admin
 * connection that may create databases) itself, and drops the database it created.
 */

const K = 5;
const APP_ROLE = 'ai_agents_app';
const APP_PASSWORD = 'ai-agents-local-only';

interface LabelledRow {
  id: string;
  text: string;
  label: string;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      csv: { type: 'string' },
      bench: { type: 'boolean', default: false },
      tickets: { type: 'string', default: '50000' },
      queries: { type: 'string', default: '1000' },
      embedder: { type: 'string', default: 'lsa' },
      fusion: { type: 'string', default: 'weighted' },
      'bm25-weight': { type: 'string', default: String(LSA_BM25_WEIGHT) },
      sweep: { type: 'boolean', default: false },
      paraphrases: { type: 'string' },
      'no-strip': { type: 'boolean', default: false },
      // Leaves the scratch database in place (its name on stderr) to inspect query plans.
      'keep-database': { type: 'boolean', default: false },
    },
  });
  if (!values.csv) throw new UsageError('--csv FILE is required (columns id,text,topic_group)');
  const options = evalOptions(values);
  const rows = await readLabelled(values.csv, options.strip);
  const adminUrl =
    process.env.TEST_DATABASE_URL ??
    process.env.DATABASE_URL ??
    'postgres://postgres@127.0.0.1:5432/postgres';
  const scratch = await createScratchDatabase(adminUrl);
  try {
    const tenantId = await scratch.createTenant();
    if (values.bench) await bench(scratch, tenantId, rows, Number(values.tickets), Number(values.queries));
    else await evaluate(scratch, tenantId, values.csv, rows, options);
  } finally {
    if (values['keep-database']) {
      process.stderr.write(`kept database ${scratch.name}\n`);
      await scratch.close();
    } else await scratch.drop();
  }
}

interface EvalOptions {
  embedder: EmbedderName;
  fusion: FusionMethod;
  bm25Weight: number;
  sweep: boolean;
  paraphrases?: string;
  /** Strip e-mail boilerplate from history and queries, as the product does (false: --no-strip). */
  strip: boolean;
}

function evalOptions(values: {
  embedder?: string;
  fusion?: string;
  'bm25-weight'?: string;
  sweep?: boolean;
  paraphrases?: string;
  'no-strip'?: boolean;
}) {
  const embedder = values.embedder as EmbedderName;
  const fusion = values.fusion as FusionMethod;
  const bm25Weight = Number(values['bm25-weight']);
  if (!EMBEDDERS.includes(embedder))
    throw new UsageError(`--embedder must be one of ${EMBEDDERS.join(', ')}`);
  if (!FUSIONS.includes(fusion)) throw new UsageError(`--fusion must be one of ${FUSIONS.join(', ')}`);
  if (!(bm25Weight >= 0 && bm25Weight <= 1)) throw new UsageError('--bm25-weight must be between 0 and 1');
  const paraphrases = values.paraphrases ? { paraphrases: values.paraphrases } : {};
  const strip = values['no-strip'] !== true;
  return {
    embedder,
    fusion,
    bm25Weight,
    sweep: values.sweep === true,
    strip,
    ...paraphrases,
  } satisfies EvalOptions;
}

async function evaluate(
  scratch: Scratch,
  tenantId: string,
  file: string,
  rows: LabelledRow[],
  options: EvalOptions,
): Promise<void> {
  let started = Date.now();
  const { imported } = await importHistoryCsv(scratch.app.db, tenantId, createReadStream(file), {
    strip: options.strip,
  });
  process.stderr.write(
    `imported ${imported} tickets in ${Date.now() - started} ms; fitting ${options.embedder}…\n`,
  );
  started = Date.now();
  const embedder = await evalEmbedder(options.embedder, rows);
  process.stderr.write(`embedder ready in ${Date.now() - started} ms; querying…\n`);
  const scope = { db: scratch.app.db, tenantId };
  const rank = (queries: EvalRow[]) =>
    collectRankings(
      rows,
      queries,
      embedder,
      async (row) =>
        (
          await findSimilarTickets(scope, row.text, {
            limit: CANDIDATES,
            excludeExternalId: row.excludeId ?? row.id,
          })
        ).map((t) => ({ id: t.externalId, score: t.score })),
      (items, fn) => forEachConcurrently(items, 4, fn),
    );
  const rankings = await rank(rows);
  const labels = new Map(rows.map((r) => [r.id, r.label]));
  const fusion = embedder ? options.fusion : 'none';
  const configuration = {
    embedder: options.embedder,
    fusion,
    ...(fusion === 'weighted' && { bm25_weight: options.bm25Weight }),
    strip: options.strip,
  };
  const report = {
    file,
    queries: rows.length,
    configuration,
    'precision@5': round(precisionAt5(rankings, labels, { fusion, bm25Weight: options.bm25Weight })),
    ...(options.sweep && embedder && { best_weighted: roundWeight(bestWeight(rankings, labels)) }),
  };
  process.stdout.write(`${JSON.stringify(report)}\n`);
  if (options.paraphrases) {
    const paraphrases = await readParaphrases(options.paraphrases);
    const byLanguage = paraphraseReport(await rank(paraphrases), labels, {
      fusion,
      bm25Weight: options.bm25Weight,
    });
    process.stdout.write(
      `${JSON.stringify({ file: options.paraphrases, configuration, 'precision@5': byLanguage })}\n`,
    );
  }
}

function roundWeight(best: { weight: number; precision: number }) {
  return { bm25_weight: best.weight, 'precision@5': round(best.precision) };
}

async function bench(
  scratch: Scratch,
  tenantId: string,
  rows: LabelledRow[],
  tickets: number,
  queries: number,
): Promise<void> {
  // Resample the file up to `tickets` rows, dropping a fifth of each copy's words so copies are not
  // identical and term statistics look like a real, larger history rather than N exact duplicates.
  const random = seeded(42);
  const lines = ['id,text'];
  for (let i = 0; i < tickets; i++) {
    const row = rows[i % rows.length] as LabelledRow;
    const words = row.text.split(/\s+/).filter(() => i < rows.length || random() > 0.2);
    lines.push(`B${i},"${words.join(' ').replaceAll('"', '""')}"`);
  }
  let started = Date.now();
  await importHistoryCsv(scratch.app.db, tenantId, Readable.from([lines.join('\n')]), {
    onProgress: (n) => n % 10_000 === 0 && process.stderr.write(`  imported ${n}\n`),
  });
  process.stderr.write(`imported ${tickets} tickets in ${Date.now() - started} ms\n`);
  // What autovacuum does shortly after a bulk load; without it the first queries read cold pages.
  await scratch.owner.query('VACUUM ANALYZE');
  const timings: number[] = [];
  for (let i = 0; i < queries + 50; i++) {
    const row = rows[Math.floor(random() * rows.length)] as LabelledRow;
    started = performance.now();
    await findSimilarTickets({ db: scratch.app.db, tenantId: tenantId }, row.text, { limit: K });
    // The first 50 warm the connection and caches.
    if (i >= 50) timings.push(performance.now() - started);
  }
  timings.sort((a, b) => a - b);
  const at = (p: number) =>
    round(timings[Math.min(timings.length - 1, Math.floor(p * timings.length))] ?? 0, 1);
  process.stdout.write(
    `${JSON.stringify({ tickets, queries, ms: { p50: at(0.5), p95: at(0.95), p99: at(0.99), max: at(1) } })}\n`,
  );
}

interface Scratch {
  name: string;
  owner: pg.Client;
  app: Database;
  createTenant(): Promise<string>;
  close(): Promise<void>;
  drop(): Promise<void>;
}

async function createScratchDatabase(adminUrl: string): Promise<Scratch> {
  const name = `aiagents_eval_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  await ensureDatabase(adminUrl, name);
  const ownerUrl = new URL(adminUrl);
  ownerUrl.pathname = `/${name}`;
  await runMigrations({ databaseUrl: ownerUrl.toString(), appRole: APP_ROLE, appPassword: APP_PASSWORD });
  const appUrl = new URL(ownerUrl);
  appUrl.username = APP_ROLE;
  appUrl.password = APP_PASSWORD;
  const owner = new pg.Client({ connectionString: ownerUrl.toString() });
  await owner.connect();
  const app = createDatabase({ url: appUrl.toString(), max: 4, applicationName: 'ai-agents-eval' });
  return {
    name,
    owner,
    app,
    async close() {
      await app.close();
      await owner.end();
    },
    async createTenant() {
      // The row-level security policies apply to the owner too (FORCE); scope the insert to the new id.
      const id = randomUUID();
      await owner.query(`select set_config('app.tenant_id', $1, false)`, [id]);
      await owner.query(
        `insert into connections (id, slug, name, edition, sdp_base_url, sdp_auth_type, sdp_credentials_enc)
         values ($1, 'eval', 'Evaluation', 'onprem', 'http://127.0.0.1:1', 'onprem', 'unused')`,
        [id],
      );
      await owner.query(
        `insert into tenants (id, slug, name, connection_id, webhook_secret_enc)
         values ($1, 'eval', 'Evaluation', $1, 'unused')`,
        [id],
      );
      return id;
    },
    async drop() {
      await app.close();
      await owner.end();
      await dropDatabase(adminUrl, name);
    },
  };
}

/** The labelled rows; their text is what queries ask and the LSA is fitted on, stripped as history is. */
async function readLabelled(file: string, strip: boolean): Promise<LabelledRow[]> {
  const records = parse(await readFile(file), { columns: true, bom: true, skip_empty_lines: true }) as Record<
    string,
    string
  >[];
  const first = records[0];
  if (!first || !('id' in first) || !('text' in first) || !('topic_group' in first))
    throw new UsageError(`${file} must have the columns id,text,topic_group and at least one row`);
  return records.map((r) => ({
    id: r.id as string,
    text: strip ? stripBoilerplate(r.text as string) : (r.text as string),
    label: r.topic_group as string,
  }));
}

async function readParaphrases(file: string): Promise<EvalRow[]> {
  const records = parse(await readFile(file), { columns: true, bom: true, skip_empty_lines: true }) as Record<
    string,
    string
  >[];
  if (!records[0] || !('source_id' in records[0]) || !('language' in records[0]))
    throw new UsageError(`${file} must have the columns id,source_id,language,text,topic_group`);
  return records.map((r) => ({
    id: r.id as string,
    text: r.text as string,
    label: r.topic_group as string,
    excludeId: r.source_id as string,
    language: r.language as string,
  }));
}

async function forEachConcurrently<T>(items: T[], concurrency: number, fn: (item: T) => Promise<void>) {
  let next = 0;
  const workers = Array.from({ length: concurrency }, async () => {
    while (next < items.length) await fn(items[next++] as T);
  });
  await Promise.all(workers);
}

function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

function round(value: number, digits = 3): number {
  return Math.round(value * 10 ** digits) / 10 ** digits;
}

class UsageError extends Error {}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error: unknown) => {
    process.stderr.write(`error: ${(error as Error).message}\n`);
    process.exitCode = error instanceof UsageError ? 2 : 1;
  });
}
