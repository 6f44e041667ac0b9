import { sql } from '../orm.js';
import { inTenant, type TenantScope } from '../with-tenant.js';

export interface SimilarTicket {
  externalId: string;
  subject: string;
  resolution: string;
  category: string | null;
  score: number;
}

// Beyond this a ticket is a log paste or a mail thread; its opening states the problem.
const MAX_QUERY_CHARS = 4_000;

/**
 * Resolved tickets of the current tenant most similar to `text`, best first: Okapi BM25 (k1 = 1.2,
 * b = 0.75, repeated query words counted) over the tenant's inverted index, which triggers on
 * ticket_history keep current. The scoring is the SQL function similar_tickets() (migration 0003);
 * row-level security scopes every table it reads to the scope's tenant. One statement.
 */
export async function findSimilarTickets(
  scope: TenantScope,
  text: string,
  options: { limit: number; excludeExternalId?: string },
): Promise<SimilarTicket[]> {
  const query = text.slice(0, MAX_QUERY_CHARS);
  if (options.limit <= 0 || query.trim() === '') return [];
  const result = await inTenant(scope, 'statement', (tx) =>
    tx.execute<{
      external_id: string;
      subject: string;
      resolution: string;
      category: string | null;
      score: number;
    }>(sql`select * from similar_tickets(${query}, ${options.excludeExternalId ?? null}, ${options.limit})`),
  );
  return result.rows.map((r) => ({
    externalId: r.external_id,
    subject: r.subject,
    resolution: r.resolution,
    category: r.category,
    score: Number(r.score),
  }));
}

/** History tickets by external id, in the order asked (missing ones left out), scored 0. */
export async function historyTicketsByExternalIds(
  scope: TenantScope,
  externalIds: string[],
): Promise<SimilarTicket[]> {
  if (externalIds.length === 0) return [];
  const result = await inTenant(scope, 'statement', (tx) =>
    tx.execute<{ external_id: string; subject: string; resolution: string; category: string | null }>(sql`
      select external_id, subject, resolution, category from ticket_history
       where external_id = any(${sql.param(externalIds)}::text[])`),
  );
  const byId = new Map(result.rows.map((r) => [r.external_id, r]));
  return externalIds.flatMap((id) => {
    const r = byId.get(id);
    return r
      ? [{ externalId: id, subject: r.subject, resolution: r.resolution, category: r.category, score: 0 }]
      : [];
  });
}
