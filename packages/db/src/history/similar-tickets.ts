import { sql } from 'drizzle-orm';
import type { Tx } from '../client.js';

export interface SimilarTicket {
  externalId: string;
  subject: string;
  resolution: string;
  category: string | null;
  score: number;
}

// Words that carry no meaning for matching tickets; Postgres drops English stop words itself,
// these are the service-desk ones ("hi, please help, thanks").
const NOISE = new Set([
  'please',
  'help',
  'thanks',
  'thank',
  'regards',
  'hello',
  'dear',
  'kindly',
  'issue',
  'problem',
]);

const MAX_TERMS = 40;

/** The distinct words of a ticket, in order, safe to put into to_tsquery (letters and digits only). */
export function queryTerms(text: string): string[] {
  const terms = new Set<string>();
  for (const word of text.toLowerCase().split(/[^\p{L}\p{N}]+/u)) {
    if (word.length < 3 || word.length > 40 || NOISE.has(word) || !/^[\p{L}\p{N}]+$/u.test(word)) continue;
    terms.add(word);
    if (terms.size >= MAX_TERMS) break;
  }
  return [...terms];
}

/**
 * Resolved tickets of the current tenant that share the most meaningful words with `text`.
 * An OR-query (any word may match) ranked by cover density: an AND-query answers almost nothing
 * for real tickets, whose wording never repeats exactly. Row-level security scopes it to the tenant.
 */
export async function findSimilarTickets(
  tx: Tx,
  text: string,
  options: { limit: number; excludeExternalId?: string },
): Promise<SimilarTicket[]> {
  const terms = queryTerms(text);
  if (terms.length === 0) return [];
  const result = await tx.execute<{
    external_id: string;
    subject: string;
    resolution: string;
    category: string | null;
    score: number;
  }>(sql`
    select h.external_id, h.subject, h.resolution, h.category, ts_rank_cd(h.search, q) as score
      from ticket_history h, to_tsquery('english', ${terms.join(' | ')}) q
     where h.search @@ q
       and h.external_id is distinct from ${options.excludeExternalId ?? null}
     order by score desc, h.resolved_at desc nulls last
     limit ${options.limit}`);
  return result.rows.map((r) => ({
    externalId: r.external_id,
    subject: r.subject,
    resolution: r.resolution,
    category: r.category,
    score: Number(r.score),
  }));
}
