import { eq } from '../orm.js';
import { type ConnectionRow, connections } from '../schema/connections.js';
import { type TenantRecord, tenants } from '../schema/tenants.js';
import { inTenant, type TenantScope } from '../with-tenant.js';

/**
 * What a tenant's work needs of its connection (the ServiceDesk Plus instance): the portal, the
 * edition, the encrypted credentials and when they last changed (the client cache's version), the
 * instance's call budget. Never the webhook secrets.
 */
export const TENANT_CONNECTION_COLUMNS = {
  id: connections.id,
  slug: connections.slug,
  name: connections.name,
  edition: connections.edition,
  sdpBaseUrl: connections.sdpBaseUrl,
  sdpAuthType: connections.sdpAuthType,
  sdpCredentialsEnc: connections.sdpCredentialsEnc,
  sdpRateLimitPerMinute: connections.sdpRateLimitPerMinute,
  updatedAt: connections.updatedAt,
};

export type TenantConnection = Pick<ConnectionRow, keyof typeof TENANT_CONNECTION_COLUMNS>;

/**
 * A tenant as its work loads it: its row (settings, its account on an MSP connection:
 * `sdpAccountId`, `sdpAccountName`) and its connection (`connection.edition`, the portal, the
 * credentials).
 */
export type TenantRow = TenantRecord & { connection: TenantConnection };

/** The scope's tenant with its connection; null when it does not exist (or is not visible). */
export async function loadTenant(scope: TenantScope): Promise<TenantRow | null> {
  const [row] = await inTenant(scope, 'statement', (tx) =>
    tx
      .select({ tenant: tenants, connection: TENANT_CONNECTION_COLUMNS })
      .from(tenants)
      .innerJoin(connections, eq(connections.id, tenants.connectionId))
      .where(eq(tenants.id, scope.tenantId))
      .limit(1),
  );
  return row ? { ...row.tenant, connection: row.connection } : null;
}
