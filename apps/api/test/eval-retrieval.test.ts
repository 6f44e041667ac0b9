import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type FakeLlm, startFakeLlm, TEST_ADMIN_DATABASE_URL } from '@ai-agents/sandbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/eval/retrieval.js';

// `npm run eval:retrieval -- --embedder openai` against the sandbox's fake /v1/embeddings: a fresh
// migrated database, the product's CSV import and BM25, the texts embedded by the API. The fake's
// vectors are hashed words, so the figures say the path works, not what a real model scores.

const DEV_CSV = fileURLToPath(new URL('../../../../shared/datasets/it-tickets/dev.csv', import.meta.url));
const PARAPHRASES = fileURLToPath(new URL('../src/eval/data/multilingual-paraphrases.csv', import.meta.url));

let llm: FakeLlm;
let dir: string;
let csv: string;

beforeAll(async () => {
  llm = await startFakeLlm({ apiKey: 'eval-key' });
  dir = await mkdtemp(join(tmpdir(), 'eval-retrieval-'));
  csv = join(dir, 'dev-300.csv');
  // The first 300 tickets of dev.csv: enough for every topic, quick to import and embed.
  const lines = (await readFile(DEV_CSV, 'utf8')).split('\n');
  await writeFile(csv, lines.slice(0, 301).join('\n'));
});

afterAll(async () => {
  await llm?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Runs the eval in this process; its JSON lines. */
async function run(argv: string[], env: Record<string, string>) {
  const lines: string[] = [];
  await main(argv, { TEST_DATABASE_URL: TEST_ADMIN_DATABASE_URL, ...env }, { write: (l) => lines.push(l) });
  return lines.map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('eval:retrieval --embedder openai', () => {
  it('says it skipped the API embedder without a key, and creates nothing', async () => {
    const before = llm.embeddingCalls.length;
    expect(await run(['--csv', csv, '--embedder', 'openai'], {})).toEqual([
      {
        file: csv,
        configuration: { embedder: 'openai' },
        skipped: 'no key (EMBEDDING_API_KEY or OPENAI_API_KEY)',
      },
    ]);
    expect(llm.embeddingCalls.length).toBe(before);
  });

  it('scores dev and the multilingual set through the API, the weight chosen on dev and said', async () => {
    const env = { EMBEDDING_BASE_URL: llm.url, EMBEDDING_API_KEY: 'eval-key', EMBEDDING_DIMENSIONS: '256' };
    const [dev, multilingual] = await run(
      ['--csv', csv, '--embedder', 'openai', '--sweep', '--paraphrases', PARAPHRASES],
      env,
    );
    expect(dev).toMatchObject({
      queries: 300,
      configuration: { embedder: 'openai', fusion: 'weighted', bm25_weight: 0.1 },
      model: 'api:text-embedding-3-small:256',
    });
    expect(dev?.['precision@5']).toBeGreaterThan(0.3);
    const best = dev?.best_weighted as { bm25_weight: number; 'precision@5': number };
    expect(best['precision@5']).toBeGreaterThanOrEqual(dev?.['precision@5'] as number);
    expect(multilingual?.configuration).toEqual({
      embedder: 'openai',
      fusion: 'weighted',
      strip: true,
      bm25_weight: best.bm25_weight,
      weight_chosen_on: csv,
    });
    expect(Object.keys(multilingual?.['precision@5'] as object).sort()).toEqual([
      'all',
      'de',
      'en',
      'es',
      'fr',
    ]);
    // Every request reached the fake with the key, the model and the shortened dimensions.
    const calls = llm.embeddingCalls;
    expect(calls.length).toBeGreaterThan(300);
    expect(calls.every((c) => c.status === 200 && c.model === 'text-embedding-3-small')).toBe(true);
    // A child process embedding a 300-query CSV and 80 paraphrases: minutes, not seconds, on a loaded 2-core machine.
  }, 180_000);

  it('a wrong key fails the run with the API’s refusal', async () => {
    const env = { EMBEDDING_BASE_URL: llm.url, EMBEDDING_API_KEY: 'a-wrong-key' };
    await expect(run(['--csv', csv, '--embedder', 'openai'], env)).rejects.toThrow(/401/);
  });
});
