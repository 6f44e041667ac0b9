import { eq, sql } from 'drizzle-orm';
import type { Tx } from '../client.js';
import { historyImportCursors } from '../schema/history-import-cursors.js';

export interface HistoryImportCursor {
  since: string;
  nextStartIndex: number;
  imported: number;
  completed: boolean;
}

/** Where the tenant's last SDP backfill stopped (the current tenant, under RLS). */
export async function loadImportCursor(tx: Tx, tenantId: string): Promise<HistoryImportCursor | null> {
  const [row] = await tx
    .select()
    .from(historyImportCursors)
    .where(eq(historyImportCursors.tenantId, tenantId))
    .limit(1);
  if (!row) return null;
  return {
    since: row.since,
    nextStartIndex: row.nextStartIndex,
    imported: row.imported,
    completed: row.completedAt !== null,
  };
}

export async function saveImportCursor(tx: Tx, tenantId: string, cursor: HistoryImportCursor): Promise<void> {
  const values = {
    since: cursor.since,
    nextStartIndex: cursor.nextStartIndex,
    imported: cursor.imported,
    completedAt: cursor.completed ? new Date() : null,
    updatedAt: new Date(),
  };
  await tx
    .insert(historyImportCursors)
    .values({ tenantId, ...values })
    .onConflictDoUpdate({ target: historyImportCursors.tenantId, set: { ...values, updatedAt: sql`now()` } });
}
