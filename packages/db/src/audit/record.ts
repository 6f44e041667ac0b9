import type { DbOrTx } from '../client.js';
import { auditLog } from '../schema/audit-log.js';

export async function recordAudit(
  db: DbOrTx,
  entry: { tenantId: string; actor: string; action: string; details?: Record<string, unknown> },
): Promise<void> {
  await db.insert(auditLog).values({ ...entry, details: entry.details ?? {} });
}
