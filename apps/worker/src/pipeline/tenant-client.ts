import type { TenantRow } from '@ai-agents/db';
import {
  assertSecureServiceDesk,
  createServiceDeskClient,
  parseServiceDeskAuth,
  type ServiceDeskClient,
} from '@ai-agents/servicedesk';
import type { SecretBox } from '@ai-agents/shared';

/**
 * One ServiceDesk Plus client per tenant, rebuilt when the tenant row changes. Reuse matters for
 * Cloud tenants: the client holds the OAuth access token, which must not be refreshed per job.
 */
export function createTenantClients(deps: {
  box: SecretBox;
  timeoutMs: number;
  fetch?: typeof fetch;
  /** Production: refuse a tenant whose portal or accounts server is plain http. */
  requireHttps?: boolean;
}) {
  const clients = new Map<string, { version: number; client: ServiceDeskClient }>();
  return {
    forTenant(tenant: TenantRow): ServiceDeskClient {
      const version = tenant.updatedAt.getTime();
      const cached = clients.get(tenant.id);
      if (cached && cached.version === version) return cached.client;
      let auth: ReturnType<typeof parseServiceDeskAuth>;
      try {
        auth = parseServiceDeskAuth(
          deps.box.decrypt(tenant.sdpCredentialsEnc, { tenantId: tenant.id, purpose: 'sdp_credentials' }),
        );
      } catch (error) {
        throw new Error(`Tenant ${tenant.slug}: ${(error as Error).message}`);
      }
      assertSecureServiceDesk(tenant.sdpBaseUrl, auth, deps.requireHttps ?? false);
      const client = createServiceDeskClient({
        baseUrl: tenant.sdpBaseUrl,
        auth,
        timeoutMs: deps.timeoutMs,
        fetch: deps.fetch,
      });
      clients.set(tenant.id, { version, client });
      return client;
    },
  };
}

export type TenantClients = ReturnType<typeof createTenantClients>;
