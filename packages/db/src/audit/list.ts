import { desc } from '../orm.js';
import { auditLog } from '../schema/audit-log.js';
import { inTenant, type TenantScope } from '../with-tenant.js';

/** The tenant's newest audit entries. */
export async function listAudit(scope: TenantScope, limit: number) {
  return inTenant(scope, 'statement', (tx) =>
    tx
      .select({
        actor: auditLog.actor,
        action: auditLog.action,
        details: auditLog.details,
        createdAt: auditLog.createdAt,
      })
      .from(auditLog)
      .orderBy(desc(auditLog.createdAt), desc(auditLog.id))
      .limit(limit),
  );
}
