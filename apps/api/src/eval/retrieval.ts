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
import { parse } from 'csv-parse/sync';
import pg from 'pg';
import { importHistoryCsv } from '../history/csv-history.js';

/*
 * Retrieval quality and speed, measured through the product's own code: a fresh database with the
 * real migrations, the CSV history import, and findSimilarTickets() under row-level security as the
 * application role. Usage:
 *   npm run eval:retrieval -- --csv FILE            precision@5 and kNN-5 accuracy (leave-one-out)
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
      // Leaves the scratch database in place (its name on stderr) to inspect query plans.
      'keep-database': { type: 'boolean', default: false },
    },
  });
  if (!values.csv) throw new UsageError('--csv FILE is required (columns id,text,topic_group)');
  const rows = await readLabelled(values.csv);
  const adminUrl =
    process.env.TEST_DATABASE_URL ??
    process.env.DATABASE_URL ??
    'postgres://postgres@127.0.0.1:5432/postgres';
  const scratch = await createScratchDatabase(adminUrl);
  try {
    const tenantId = await scratch.createTenant();
    if (values.bench) await bench(scratch, tenantId, rows, Number(values.tickets), Number(values.queries));
    else await evaluate(scratch, tenantId, values.csv, rows);
  } finally {
    if (values['keep-database']) {
      process.stderr.write(`kept database ${scratch.name}\n`);
      await scratch.close();
    } else await scratch.drop();
  }
}

async function evaluate(
  scratch: Scratch,
  tenantId: string,
  file: string,
  rows: LabelledRow[],
): Promise<void> {
  const started = Date.now();
  const { imported } = await importHistoryCsv(scratch.app.db, tenantId, createReadStream(file));
  process.stderr.write(`imported ${imported} tickets in ${Date.now() - started} ms; querying…\n`);
  const labels = new Map(rows.map((r) => [r.id, r.label]));
  let precisionSum = 0;
  let majorityHits = 0;
  let answered = 0;
  await forEachConcurrently(rows, 4, async (row) => {
    const similar = await findSimilarTickets({ db: scratch.app.db, tenantId: tenantId }, row.text, {
      limit: K,
      excludeExternalId: row.id,
    });
    const found = similar.map((t) => labels.get(t.externalId));
    if (found.length > 0) answered++;
    precisionSum += found.filter((l) => l === row.label).length / K;
    if (majority(found) === row.label) majorityHits++;
  });
  const n = rows.length;
  process.stdout.write(
    `${JSON.stringify({
      file,
      queries: n,
      answered: round(answered / n),
      'precision@5': round(precisionSum / n),
      knn5_accuracy: round(majorityHits / n),
    })}\n`,
  );
}

/** The most frequent label; ties go to the label ranked highest (the first seen). */
export function majority(labels: (string | undefined)[]): string | undefined {
  const counts = new Map<string, number>();
  let best: string | undefined;
  for (const label of labels) {
    if (label === undefined) continue;
    const count = (counts.get(label) ?? 0) + 1;
    counts.set(label, count);
    if (best === undefined || count > (counts.get(best) ?? 0)) best = label;
  }
  return best;
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
        `insert into tenants (id, slug, name, sdp_base_url, sdp_auth_type, sdp_credentials_enc, webhook_secret_enc)
         values ($1, 'eval', 'Evaluation', 'http://127.0.0.1:1', 'onprem', 'unused', 'unused')`,
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

async function readLabelled(file: string): Promise<LabelledRow[]> {
  const records = parse(await readFile(file), { columns: true, bom: true, skip_empty_lines: true }) as Record<
    string,
    string
  >[];
  const first = records[0];
  if (!first || !('id' in first) || !('text' in first) || !('topic_group' in first))
    throw new UsageError(`${file} must have the columns id,text,topic_group and at least one row`);
  return records.map((r) => ({ id: r.id as string, text: r.text as string, label: r.topic_group as string }));
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
