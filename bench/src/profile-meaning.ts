/*
 * `node [--cpu-prof] bench/dist/src/profile-meaning.js` (after `npm run build`): the retrieval-meaning
 * scenario's tenant (N resampled tickets, default 50,000, LSA fitted and stored) in a database of
 * its own, then Q (default 200) timed queries each of the worker's fused search, BM25 with 5 and 100
 * results, and a fetch of 5 tickets by id: which part of a note's search costs what
 * (docs/performance.md). The database is kept for the next run (its name in STATE); drop it with
 * DROP=1. ONLY=fused times the fused search alone (for a profile of it).
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import {
  createDatabase,
  createTenant,
  findSimilarTickets,
  historyTexts,
  historyTicketsByExternalIds,
  saveEmbeddingModel,
} from '@ai-agents/db';
import { createRetrieval, embedMissing, encodeLsaFit, fitLsa, lsaEmbedder } from '@ai-agents/retrieval';
import { createTestDatabase, randomEncryptionKey } from '@ai-agents/sandbox';
import { createSecretBox } from '@ai-agents/shared';
import pg from 'pg';
import { type DatasetRow, loadDataset, resampleTickets, seeded } from './dataset.js';
import { loadHistory, vacuum } from './scenarios/retrieval.js';
import { percentile } from './stats.js';

const STATE = '/tmp/retr-prof-state.json';
const rows = loadDataset();
let state: { appUrl: string; ownerUrl: string; tenantId: string; name: string };
if (existsSync(STATE)) state = JSON.parse(readFileSync(STATE, 'utf8'));
else {
  const database = await createTestDatabase('aiagents_retrprof');
  const db = createDatabase({ url: database.appUrl, max: 2 });
  const created = await createTenant(db.db, createSecretBox(randomEncryptionKey()), {
    slug: 'prof',
    name: 'prof',
    sdpBaseUrl: 'http://127.0.0.1:9',
    sdpAuthType: 'onprem',
    sdpCredentials: { type: 'onprem', technicianKey: 'x' },
    actor: 'bench',
  });
  if (created.outcome !== 'created') throw new Error('tenant');
  const tenantId = created.tenant.id;
  const owner = new pg.Client({ connectionString: database.ownerUrl });
  await owner.connect();
  await loadHistory(owner, tenantId, resampleTickets(rows, Number(process.env.N ?? 50_000), 7));
  await vacuum(owner);
  await owner.end();
  const scope = { db: db.db, tenantId };
  const history = await historyTexts(scope);
  const model = fitLsa(history.map((h) => h.text));
  await saveEmbeddingModel(scope, {
    modelId: model.modelId,
    dimensions: model.dimensions,
    fittedOn: model.fittedOn,
    fit: encodeLsaFit(model),
  });
  await embedMissing(scope, lsaEmbedder(model));
  await db.close();
  state = { appUrl: database.appUrl, ownerUrl: database.ownerUrl, tenantId, name: database.name };
  writeFileSync(STATE, JSON.stringify(state));
  console.log('created', state.name);
}
const database = createDatabase({ url: state.appUrl, max: 2 });
const scope = { db: database.db, tenantId: state.tenantId };
const retrieval = createRetrieval();
const random = seeded(13);
const text = () => (rows[Math.floor(random() * rows.length)] as DatasetRow).text;
const Q = Number(process.env.Q ?? 200);
const time = async (label: string, fn: (t: string) => Promise<unknown>) => {
  for (let i = 0; i < 5; i++) await fn(text());
  const s: number[] = [];
  for (let i = 0; i < Q; i++) {
    const t = text();
    const t0 = performance.now();
    await fn(t);
    s.push(performance.now() - t0);
  }
  console.log(label.padEnd(28), 'p50', percentile(s, 50).toFixed(1), 'p95', percentile(s, 95).toFixed(1));
};
const only = process.env.ONLY;
if (!only || only === 'fused')
  await time('fused findSimilar', (t) => retrieval.findSimilar(scope, t, { limit: 5, timeoutMs: 5000 }));
if (!only) {
  await time('bm25 limit 5', (t) => findSimilarTickets(scope, t, { limit: 5 }));
  await time('bm25 limit 100', (t) => findSimilarTickets(scope, t, { limit: 100 }));
  const ids = (await historyTexts(scope)).slice(0, 5).map((h) => h.externalId);
  await time('fetch 5 by id', () => historyTicketsByExternalIds(scope, ids));
}
await database.close();
if (process.env.DROP === '1') {
  const admin = new pg.Client({ connectionString: state.ownerUrl.replace(/\/[^/]*$/, '/postgres') });
  await admin.connect();
  await admin.query(`drop database ${state.name}`);
  await admin.end();
  rmSync(STATE);
}
