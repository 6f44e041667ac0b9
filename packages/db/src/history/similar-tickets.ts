import { sql } from 'drizzle-orm';
import type { Tx } from '../client.js';

export interface SimilarTicket {
  externalId: string;
  subject: string;
  resolution: string;
  category: string | null;
  score: number;
}

/*
 * Okapi BM25 with the textbook parameters (k1 = 1.2, b = 0.75), computed in Postgres over the
 * tenant's inverted index (ticket_terms, kept by triggers). The query side counts repeated words
 * (BM25 with k3 → ∞): a word a requester repeats is what the ticket is about.
 */
const K1 = 1.2;
const B = 0.75;
// The tf part of BM25 for a posting p, with the weight and average length of its query term t.
// float8 throughout: a numeric literal would make Postgres do this in slow arbitrary precision.
const tfPart = (p: string, t: string) =>
  sql.raw(
    `${p}.tf * ${K1 + 1}::float8 / (${p}.tf + ${K1}::float8 * (${1 - B}::float8 + ${B}::float8 * ${p}.doc_length / ${t}.avgdl))`,
  );

// Candidates are chosen by the query's rarest terms only: those in at most this share of the tenant's
// tickets (more common ones weigh little, idf ≤ ~2.2, and have the longest posting lists), and only
// as many as fit in CANDIDATE_POSTINGS posting rows. The other terms then re-score the best
// CANDIDATES tickets. This bounds a query's work for a large tenant; see README "Similar tickets".
const COMMON_TERM_SHARE = 0.1;
const CANDIDATE_POSTINGS = 10_000;
const CANDIDATES = 200;

// Beyond this a ticket is a log paste or a mail thread; its opening states the problem.
const MAX_QUERY_CHARS = 4_000;

/**
 * Resolved tickets of the current tenant most similar to `text`, best first. Row-level security
 * scopes every table read here to the tenant set by withTenant().
 */
export async function findSimilarTickets(
  tx: Tx,
  text: string,
  options: { limit: number; excludeExternalId?: string },
): Promise<SimilarTicket[]> {
  const query = text.slice(0, MAX_QUERY_CHARS);
  if (options.limit <= 0 || query.trim() === '') return [];
  const result = await tx.execute<{
    external_id: string;
    subject: string;
    resolution: string;
    category: string | null;
    score: number;
  }>(sql`
    with q as (
      select u.lexeme as term, coalesce(array_length(u.positions, 1), 1) as qtf
        from unnest(to_tsvector('english', ${query})) u
    ),
    n as (
      select docs::float8 as docs, total_length::float8 / greatest(docs, 1) as avgdl
        from ticket_history_stats
       where tenant_id = current_tenant_id()
    ),
    w as (
      select q.term, s.df, n.docs, n.avgdl,
             q.qtf * ln(1 + (n.docs - s.df + 0.5) / (s.df + 0.5)) as weight,
             row_number() over (order by s.df, q.term) as rank,
             sum(s.df) over (order by s.df, q.term rows unbounded preceding) as postings
        from q
        join ticket_term_stats s on s.tenant_id = current_tenant_id() and s.term = q.term
       cross join n
    ),
    -- The rarest term always chooses candidates, so every query with a known word gets an answer.
    rare as (
      select * from w
       where rank = 1
          or (df <= ${sql.raw(String(COMMON_TERM_SHARE))} * docs and postings <= ${sql.raw(String(CANDIDATE_POSTINGS))})
    ),
    common as (
      select * from w where not exists (select 1 from rare r where r.term = w.term)
    ),
    candidates as (
      select p.history_id,
             sum(r.weight * ${tfPart('p', 'r')}) as score
        from rare r
        join ticket_terms p on p.tenant_id = current_tenant_id() and p.term = r.term
       group by p.history_id
       order by score desc
       limit ${sql.raw(String(CANDIDATES))}
    ),
    scored as (
      select c.history_id,
             c.score + coalesce((
               select sum(m.weight * ${tfPart('p', 'm')})
                 from common m
                 join ticket_terms p
                   on p.tenant_id = current_tenant_id() and p.term = m.term and p.history_id = c.history_id
             ), 0) as score
        from candidates c
    )
    select h.external_id, h.subject, h.resolution, h.category, s.score
      from scored s
      join ticket_history h on h.id = s.history_id
     where h.external_id is distinct from ${options.excludeExternalId ?? null}
     order by s.score desc, h.resolved_at desc nulls last, h.external_id
     limit ${options.limit}`);
  return result.rows.map((r) => ({
    externalId: r.external_id,
    subject: r.subject,
    resolution: r.resolution,
    category: r.category,
    score: Number(r.score),
  }));
}
