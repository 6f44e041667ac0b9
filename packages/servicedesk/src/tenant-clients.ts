import { createHash } from 'node:crypto';
import type { RedisEval, SecretBox } from '@ai-agents/shared';
import { createServiceDeskClient, type ServiceDeskClient } from './client.js';
import { parseServiceDeskAuth } from './credentials.js';
import type { SdpEdition } from './edition.js';
import { assertSecureServiceDesk } from './secure-url.js';
import { createRedisNoteShapeMemory, createRedisTokenStore } from './token-store.js';

/**
 * What the clients need of a connection (the `connections` table of @ai-agents/db: one ServiceDesk
 * Plus instance): its portal, its edition, its encrypted credentials (bound to its id) and when it
 * last changed. Declared here so this package does not depend on the database package.
 */
export interface ServiceDeskConnection {
  id: string;
  slug: string;
  /** An MSP edition's client may narrow a list to one account (`accountId`); a single portal's may not. */
  edition: SdpEdition;
  sdpBaseUrl: string;
  sdpCredentialsEnc: string;
  updatedAt: Date;
}

/** A tenant as loaded with its connection (TenantRow of @ai-agents/db). */
export interface ServiceDeskTenant {
  connection: ServiceDeskConnection;
}

export interface TenantClientDeps {
  box: SecretBox;
  timeoutMs: number;
  fetch?: typeof fetch;
  /**
   * Shares each Cloud connection's access token and each connection's learned add-note shape across
   * every process of the installation; without it, each process keeps its own.
   */
  shared?: { redis: RedisEval; keyPrefix: string };
  /** Production: refuse a connection whose portal or accounts server is plain http. */
  requireHttps?: boolean;
}

/**
 * One ServiceDesk Plus client per connection, shared by all its tenants and rebuilt when the
 * connection row changes (new credentials reach every tenant of the instance at once). Reuse matters
 * on Cloud: Zoho keeps a bounded number of live access tokens per refresh token and limits token
 * requests, so the connection's one access token is kept (in Redis when `shared` is given, under the
 * connection's id) and never refreshed per job or per tenant; the learned note shape and the tokens'
 * lock and request bound are the connection's too.
 */
export function createTenantClients(deps: TenantClientDeps) {
  const clients = new Map<string, { version: number; client: ServiceDeskClient }>();
  const forConnection = (connection: ServiceDeskConnection): ServiceDeskClient => {
    const version = connection.updatedAt.getTime();
    const cached = clients.get(connection.id);
    if (cached && cached.version === version) return cached.client;
    let auth: ReturnType<typeof parseServiceDeskAuth>;
    try {
      auth = parseServiceDeskAuth(
        deps.box.decrypt(connection.sdpCredentialsEnc, {
          tenantId: connection.id,
          purpose: 'sdp_credentials',
        }),
      );
    } catch (error) {
      throw new Error(`Connection ${connection.slug}: ${(error as Error).message}`);
    }
    assertSecureServiceDesk(connection.sdpBaseUrl, auth, deps.requireHttps ?? false);
    const shared = deps.shared;
    // The token belongs to one refresh token: new credentials get a key of their own.
    const credentialsId =
      auth.type === 'cloud'
        ? createHash('sha256').update(`${auth.clientId}\n${auth.refreshToken}`).digest('hex').slice(0, 16)
        : undefined;
    const client = createServiceDeskClient({
      baseUrl: connection.sdpBaseUrl,
      edition: connection.edition,
      auth,
      timeoutMs: deps.timeoutMs,
      fetch: deps.fetch,
      ...(shared && credentialsId
        ? {
            tokenStore: createRedisTokenStore(
              shared.redis,
              `${shared.keyPrefix}:sdp-oauth:${connection.id}:${credentialsId}`,
              {
                encrypt: (token) =>
                  deps.box.encrypt(token, { tenantId: connection.id, purpose: 'sdp_access_token' }),
                decrypt: (stored) =>
                  deps.box.decrypt(stored, { tenantId: connection.id, purpose: 'sdp_access_token' }),
              },
            ),
          }
        : {}),
      ...(shared
        ? {
            // The key keeps its older name: a wrapper learned before shapes existed reads as its shape.
            noteShapeMemory: createRedisNoteShapeMemory(
              shared.redis,
              `${shared.keyPrefix}:sdp-note-wrapper:${connection.id}:${connection.sdpBaseUrl}`,
            ),
          }
        : {}),
    });
    clients.set(connection.id, { version, client });
    return client;
  };
  return {
    forConnection,
    /** The client of the tenant's connection. */
    forTenant: (tenant: ServiceDeskTenant): ServiceDeskClient => forConnection(tenant.connection),
  };
}

export type TenantClients = ReturnType<typeof createTenantClients>;
