import { auditLog } from '../schema/audit-log.js';
import { inTenant, type TenantScope } from '../with-tenant.js';

/** An audit entry; its tenant is the scope's. */
export interface AuditEntry {
  actor: string;
  action: string;
  details?: Record<string, unknown>;
}

export async function recordAudit(scope: TenantScope, entry: AuditEntry): Promise<void> {
  await inTenant(scope, 'statement', (tx) =>
    tx.insert(auditLog).values({ ...entry, tenantId: scope.tenantId, details: entry.details ?? {} }),
  );
}
