import { createHash } from 'node:crypto';
import type { RedisEval, SecretBox } from '@ai-agents/shared';
import { createServiceDeskClient, type ServiceDeskClient } from './client.js';
import { parseServiceDeskAuth } from './credentials.js';
import { assertSecureServiceDesk } from './secure-url.js';
import { createRedisNoteShapeMemory, createRedisTokenStore } from './token-store.js';

/**
 * What the clients need of a tenant row (the `tenants` table of @ai-agents/db): its portal, its
 * encrypted credentials and when it last changed. Declared here so this package does not depend on
 * the database package.
 */
export interface ServiceDeskTenant {
  id: string;
  slug: string;
  sdpBaseUrl: string;
  sdpCredentialsEnc: string;
  updatedAt: Date;
}

export interface TenantClientDeps {
  box: SecretBox;
  timeoutMs: number;
  fetch?: typeof fetch;
  /**
   * Shares each Cloud tenant's access token and each tenant's learned add-note shape across every
   * process of the installation; without it, each process keeps its own.
   */
  shared?: { redis: RedisEval; keyPrefix: string };
  /** Production: refuse a tenant whose portal or accounts server is plain http. */
  requireHttps?: boolean;
}

/**
 * One ServiceDesk Plus client per tenant, rebuilt when the tenant row changes. Reuse matters for
 * Cloud tenants: Zoho limits token requests per refresh token, so the access token is kept (in Redis
 * when `shared` is given) and never refreshed per job.
 */
export function createTenantClients(deps: TenantClientDeps) {
  const clients = new Map<string, { version: number; client: ServiceDeskClient }>();
  return {
    forTenant(tenant: ServiceDeskTenant): ServiceDeskClient {
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
      const shared = deps.shared;
      // The token belongs to one refresh token: new credentials get a key of their own.
      const credentialsId =
        auth.type === 'cloud'
          ? createHash('sha256').update(`${auth.clientId}\n${auth.refreshToken}`).digest('hex').slice(0, 16)
          : undefined;
      const client = createServiceDeskClient({
        baseUrl: tenant.sdpBaseUrl,
        auth,
        timeoutMs: deps.timeoutMs,
        fetch: deps.fetch,
        ...(shared && credentialsId
          ? {
              tokenStore: createRedisTokenStore(
                shared.redis,
                `${shared.keyPrefix}:sdp-oauth:${tenant.id}:${credentialsId}`,
                {
                  encrypt: (token) =>
                    deps.box.encrypt(token, { tenantId: tenant.id, purpose: 'sdp_access_token' }),
                  decrypt: (stored) =>
                    deps.box.decrypt(stored, { tenantId: tenant.id, purpose: 'sdp_access_token' }),
                },
              ),
            }
          : {}),
        ...(shared
          ? {
              // The key keeps its older name: a wrapper learned before shapes existed reads as its shape.
              noteShapeMemory: createRedisNoteShapeMemory(
                shared.redis,
                `${shared.keyPrefix}:sdp-note-wrapper:${tenant.id}:${tenant.sdpBaseUrl}`,
              ),
            }
          : {}),
      });
      clients.set(tenant.id, { version, client });
      return client;
    },
  };
}

export type TenantClients = ReturnType<typeof createTenantClients>;
