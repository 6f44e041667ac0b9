import type { DbOrTx } from '../client.js';
import { auditLog } from '../schema/audit-log.js';

export interface AuditEntry {
  tenantId: string;
  actor: string;
  action: string;
  details?: Record<string, unknown>;
}

export async function recordAudit(db: DbOrTx, entry: AuditEntry): Promise<void> {
  await db.insert(auditLog).values({ ...entry, details: entry.details ?? {} });
}
