import { sql } from '../orm.js';
import { ticketHistory } from '../schema/ticket-history.js';
import { inTenant, type TenantScope } from '../with-tenant.js';

export interface HistoryTicket {
  externalId: string;
  subject: string;
  description?: string;
  resolution?: string;
  category?: string | null;
  technician?: string | null;
  resolvedAt?: Date | null;
}

/**
 * Adds or refreshes resolved tickets of the scope's tenant (keyed by their ServiceDesk Plus id). One
 * statement: the search index is built by the table's triggers inside it.
 */
export async function addHistory(scope: TenantScope, tickets: HistoryTicket[]): Promise<number> {
  if (tickets.length === 0) return 0;
  const rows = tickets.map((t) => ({
    tenantId: scope.tenantId,
    externalId: t.externalId,
    subject: t.subject,
    description: t.description ?? '',
    resolution: t.resolution ?? '',
    category: t.category ?? null,
    technician: t.technician ?? null,
    resolvedAt: t.resolvedAt ?? null,
  }));
  const result = await inTenant(scope, 'statement', (tx) =>
    tx
      .insert(ticketHistory)
      .values(rows)
      .onConflictDoUpdate({
        target: [ticketHistory.tenantId, ticketHistory.externalId],
        set: {
          subject: sql`excluded.subject`,
          description: sql`excluded.description`,
          resolution: sql`excluded.resolution`,
          category: sql`excluded.category`,
          technician: sql`excluded.technician`,
          resolvedAt: sql`excluded.resolved_at`,
        },
      }),
  );
  return result.rowCount ?? rows.length;
}
