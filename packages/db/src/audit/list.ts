import { desc } from 'drizzle-orm';
import type { Tx } from '../client.js';
import { auditLog } from '../schema/audit-log.js';

/** The newest audit entries of the current withTenant() transaction's tenant. */
export async function listAudit(tx: Tx, limit: number) {
  return tx
    .select({
      actor: auditLog.actor,
      action: auditLog.action,
      details: auditLog.details,
      createdAt: auditLog.createdAt,
    })
    .from(auditLog)
    .orderBy(desc(auditLog.createdAt), desc(auditLog.id))
    .limit(limit);
}
