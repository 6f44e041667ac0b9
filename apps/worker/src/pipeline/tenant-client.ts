import type { TenantRow } from '@ai-agents/db';
import {
  createServiceDeskClient,
  type ServiceDeskAuth,
  type ServiceDeskClient,
} from '@ai-agents/servicedesk';
import type { SecretBox } from '@ai-agents/shared';
import { z } from 'zod';

const credentialsSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('onprem'), technicianKey: z.string().min(1) }),
  z.object({
    type: z.literal('cloud'),
    clientId: z.string().min(1),
    clientSecret: z.string().min(1),
    refreshToken: z.string().min(1),
    accountsUrl: z.url(),
  }),
]);

/**
 * One ServiceDesk Plus client per tenant, rebuilt when the tenant row changes. Reuse matters for
 * Cloud tenants: the client holds the OAuth access token, which must not be refreshed per job.
 */
export function createTenantClients(deps: { box: SecretBox; timeoutMs: number; fetch?: typeof fetch }) {
  const clients = new Map<string, { version: number; client: ServiceDeskClient }>();
  return {
    forTenant(tenant: TenantRow): ServiceDeskClient {
      const version = tenant.updatedAt.getTime();
      const cached = clients.get(tenant.id);
      if (cached && cached.version === version) return cached.client;
      const parsed = credentialsSchema.safeParse(JSON.parse(deps.box.decrypt(tenant.sdpCredentialsEnc)));
      if (!parsed.success)
        throw new Error(`Tenant ${tenant.slug} has malformed ServiceDesk Plus credentials`);
      const client = createServiceDeskClient({
        baseUrl: tenant.sdpBaseUrl,
        auth: parsed.data satisfies ServiceDeskAuth,
        timeoutMs: deps.timeoutMs,
        fetch: deps.fetch,
      });
      clients.set(tenant.id, { version, client });
      return client;
    },
  };
}

export type TenantClients = ReturnType<typeof createTenantClients>;
