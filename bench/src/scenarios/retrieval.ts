import { createDatabase, findSimilarTickets, type HistoryTicket } from '@ai-agents/db';
import pg from 'pg';
import { type DatasetRow, loadDataset, resampleTickets, seeded } from '../dataset.js';
import type { Stack } from '../stack.js';
import { percentile } from '../stats.js';

export interface RetrievalResult {
  historyTickets: number;
  /** Tenants the history is spread over; queries go to one of them at random. */
  tenants: number;
  /** Every tenant's history tickets in the database queried (the other tenants' rows included). */
  databaseTickets: number;
  queries: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  loadSeconds: number;
}

// Rows per INSERT: one statement per batch, so the statement-level index trigger of ticket_history
// (migration 0008) indexes 5,000 tickets in one set-based pass instead of 2,000 rows at a time
// through the ORM. Columns travel as one array parameter each, so the statement stays small.
const LOAD_BATCH = 5_000;

/**
 * Loads resolved tickets into a tenant as the database owner, in big multi-row INSERTs. The rows
 * go into ticket_history only: its triggers build the inverted index and the statistics exactly as
 * on every write path of the product, so what is queried is what the product would have built.
 */
export async function loadHistory(
  owner: pg.Client,
  tenantId: string,
  tickets: HistoryTicket[],
): Promise<void> {
  for (let i = 0; i < tickets.length; i += LOAD_BATCH) {
    const batch = tickets.slice(i, i + LOAD_BATCH);
    await owner.query(
      `insert into ticket_history (tenant_id, external_id, subject, description, resolution, category, resolved_at)
       select $1::uuid, * from unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[])`,
      [
        tenantId,
        batch.map((t) => t.externalId),
        batch.map((t) => t.subject),
        batch.map((t) => t.description ?? ''),
        batch.map((t) => t.resolution ?? ''),
        batch.map((t) => t.category ?? null),
        batch.map((t) => t.resolvedAt?.toISOString() ?? null),
      ],
    );
  }
}

/**
 * Fresh statistics and visibility maps, as autovacuum would have them on tables that grew over
 * months. The inverted index (ticket_terms) matters most: scoring is an index-only scan of its
 * postings, which reads heap pages for every posting until a vacuum marks them all-visible.
 * (npm run bench:retrieval does the same with a database-wide VACUUM ANALYZE.)
 */
export async function vacuum(owner: pg.Client): Promise<void> {
  await owner.query('VACUUM ANALYZE ticket_history, ticket_terms, ticket_term_stats, ticket_history_stats');
}

/**
 * Similar-ticket queries, one at a time, through packages/db's findSimilarTickets under withTenant
 * as the application role: the worker's own call, with row-level security in force. Each query is
 * a real ticket's text (a dataset row, as a new ticket's subject + description) asked of a tenant
 * picked at random, after five warm-up queries.
 */
async function measureQueries(
  appUrl: string,
  tenantIds: string[],
  rows: DatasetRow[],
  opts: { queries: number; maxSeconds: number },
): Promise<{ samples: number[] }> {
  const database = createDatabase({ url: appUrl, max: 2 });
  try {
    const random = seeded(11);
    const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)] as T;
    const ask = (tenantId: string, text: string) =>
      findSimilarTickets({ db: database.db, tenantId: tenantId }, text, { limit: 5 });
    for (let i = 0; i < 5; i++) await ask(pick(tenantIds), pick(rows).text);
    const samples: number[] = [];
    const deadline = performance.now() + opts.maxSeconds * 1000;
    for (let i = 0; i < opts.queries && performance.now() < deadline; i++) {
      const tenantId = pick(tenantIds);
      const text = pick(rows).text;
      const t0 = performance.now();
      await ask(tenantId, text);
      samples.push(performance.now() - t0);
    }
    return { samples };
  } finally {
    await database.close();
  }
}

function summary(
  historyTickets: number,
  tenants: number,
  samples: number[],
  loadSeconds: number,
  databaseTickets: number,
): RetrievalResult {
  return {
    historyTickets,
    tenants,
    databaseTickets,
    queries: samples.length,
    p50Ms: percentile(samples, 50),
    p95Ms: percentile(samples, 95),
    p99Ms: percentile(samples, 99),
    loadSeconds,
  };
}

/**
 * 250,000 history tickets in one database: one tenant with `largeTenant` of them (the one-tenant
 * target) and the rest spread evenly over `tenants - 1` others. Loaded once, asked twice: the large
 * tenant alone, then a tenant picked at random for each query. Row-level security and the
 * tenant-leading indexes must keep a tenant's query from paying for the other tenants' rows.
 * Loaded on two connections (the index trigger serialises writers per tenant only), the large
 * tenant on one while the small ones go on the other, which keeps both cores busy.
 */
export async function runRetrieval(
  stack: Stack,
  opts: { totalTickets: number; tenants: number; largeTenant: number; queries: number; maxSeconds: number },
  say: (m: string) => void,
): Promise<{ oneTenant: RetrievalResult; atScale: RetrievalResult }> {
  const rows = loadDataset();
  const loadStart = performance.now();
  const small = opts.tenants - 1;
  const rest = opts.totalTickets - opts.largeTenant;
  // The remainder goes one ticket each to the first tenants, so the total is exact.
  const sizes = [
    opts.largeTenant,
    ...Array.from({ length: small }, (_, i) => Math.floor(rest / small) + (i < rest % small ? 1 : 0)),
  ];
  say(
    `retrieval: loading ${opts.totalTickets} history tickets: ${opts.largeTenant} in one tenant, ${rest} over ${small} more`,
  );
  const tenantIds: string[] = [];
  for (let t = 0; t < sizes.length; t++)
    tenantIds.push((await stack.addTenant(t === 0 ? 'bench-history' : `bench-history-${t}`)).id);
  const owners = [0, 1].map(() => new pg.Client({ connectionString: stack.database.ownerUrl }));
  await Promise.all(owners.map((o) => o.connect()));
  try {
    let next = 0;
    await Promise.all(
      owners.map(async (owner) => {
        while (next < sizes.length) {
          const t = next++;
          // The large tenant keeps the original seed, so its tickets are those of earlier runs.
          const tickets = resampleTickets(rows, sizes[t] as number, t === 0 ? 7 : 100 + t);
          await loadHistory(owner, tenantIds[t] as string, tickets);
        }
      }),
    );
    await vacuum(owners[0] as pg.Client);
  } finally {
    await Promise.all(owners.map((o) => o.end()));
  }
  const loadSeconds = (performance.now() - loadStart) / 1000;
  say(
    `retrieval: up to ${opts.queries} queries (at most ${opts.maxSeconds} s) to the large tenant, one at a time`,
  );
  const one = await measureQueries(stack.database.appUrl, [tenantIds[0] as string], rows, opts);
  say(
    `retrieval: up to ${opts.queries} queries (at most ${opts.maxSeconds} s), each to a random tenant of ${opts.tenants}`,
  );
  const all = await measureQueries(stack.database.appUrl, tenantIds, rows, opts);
  return {
    oneTenant: summary(opts.largeTenant, 1, one.samples, loadSeconds, opts.totalTickets),
    atScale: summary(opts.totalTickets, opts.tenants, all.samples, loadSeconds, opts.totalTickets),
  };
}
