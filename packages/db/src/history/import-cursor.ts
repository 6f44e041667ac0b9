import { eq, sql } from '../orm.js';
import { historyImportCursors } from '../schema/history-import-cursors.js';
import { inTenant, type TenantScope } from '../with-tenant.js';

export interface HistoryImportCursor {
  since: string;
  nextStartIndex: number;
  imported: number;
  completed: boolean;
}

/** Where the tenant's last SDP backfill stopped (under RLS). */
export async function loadImportCursor(scope: TenantScope): Promise<HistoryImportCursor | null> {
  const [row] = await inTenant(scope, 'statement', (tx) =>
    tx.select().from(historyImportCursors).where(eq(historyImportCursors.tenantId, scope.tenantId)).limit(1),
  );
  if (!row) return null;
  return {
    since: row.since,
    nextStartIndex: row.nextStartIndex,
    imported: row.imported,
    completed: row.completedAt !== null,
  };
}

export async function saveImportCursor(scope: TenantScope, cursor: HistoryImportCursor): Promise<void> {
  const values = {
    since: cursor.since,
    nextStartIndex: cursor.nextStartIndex,
    imported: cursor.imported,
    completedAt: cursor.completed ? new Date() : null,
    updatedAt: new Date(),
  };
  await inTenant(scope, 'statement', (tx) =>
    tx
      .insert(historyImportCursors)
      .values({ tenantId: scope.tenantId, ...values })
      .onConflictDoUpdate({
        target: historyImportCursors.tenantId,
        set: { ...values, updatedAt: sql`now()` },
      }),
  );
}
