import { addHistory, createDatabase, findSimilarTickets, withTenant } from '@ai-agents/db';
import pg from 'pg';
import { loadDataset, resampleTickets, seeded } from '../dataset.js';
import type { Stack } from '../stack.js';
import { percentile } from '../stats.js';

export interface RetrievalResult {
  historyTickets: number;
  queries: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  loadSeconds: number;
}

/**
 * Similar-ticket queries against one tenant holding `historyTickets` resolved tickets resampled
 * from the shared dataset, through packages/db's findSimilarTickets under withTenant as the
 * application role: the worker's own call, with row-level security in force.
 */
export async function runRetrieval(
  stack: Stack,
  opts: { historyTickets: number; queries: number; maxSeconds: number },
  say: (m: string) => void,
): Promise<RetrievalResult> {
  const rows = loadDataset();
  const history = resampleTickets(rows, opts.historyTickets);
  const loadStart = performance.now();
  say(`retrieval: loading ${opts.historyTickets} history tickets into one tenant`);
  const tenant = await stack.addTenant('bench-history');
  const database = createDatabase({ url: stack.database.appUrl, max: 2 });
  try {
    for (let i = 0; i < history.length; i += 2000) {
      const batch = history.slice(i, i + 2000);
      await withTenant(database.db, tenant.id, (tx) => addHistory(tx, tenant.id, batch));
    }
    // Fresh statistics and visibility maps, as autovacuum would have them on tables that grew over
    // months. The inverted index (ticket_terms) matters most: scoring is an index-only scan of its
    // postings, which reads heap pages for every posting until a vacuum marks them all-visible.
    // (npm run bench:retrieval does the same with a database-wide VACUUM ANALYZE.)
    const owner = new pg.Client({ connectionString: stack.database.ownerUrl });
    await owner.connect();
    try {
      await owner.query(
        'VACUUM ANALYZE ticket_history, ticket_terms, ticket_term_stats, ticket_history_stats',
      );
    } finally {
      await owner.end();
    }
    const loadSeconds = (performance.now() - loadStart) / 1000;

    // Queries are real tickets' texts (the dataset's rows), as a new ticket's subject + description.
    const random = seeded(11);
    const query = () => (rows[Math.floor(random() * rows.length)] as { text: string }).text;
    const ask = (text: string) =>
      withTenant(database.db, tenant.id, (tx) => findSimilarTickets(tx, text, { limit: 5 }));
    for (let i = 0; i < 5; i++) await ask(query());
    say(
      `retrieval: up to ${opts.queries} similar-ticket queries (at most ${opts.maxSeconds} s), one at a time`,
    );
    const samples: number[] = [];
    const deadline = performance.now() + opts.maxSeconds * 1000;
    for (let i = 0; i < opts.queries && performance.now() < deadline; i++) {
      const text = query();
      const t0 = performance.now();
      await ask(text);
      samples.push(performance.now() - t0);
    }
    return {
      historyTickets: opts.historyTickets,
      queries: samples.length,
      p50Ms: percentile(samples, 50),
      p95Ms: percentile(samples, 95),
      p99Ms: percentile(samples, 99),
      loadSeconds,
    };
  } finally {
    await database.close();
  }
}
