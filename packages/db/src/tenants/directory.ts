import type { DbOrTx } from '../client.js';
import { sql } from '../orm.js';
import type { ConnectionEdition } from '../schema/connections.js';

/** A tenant as the operator sees it across tenants: settings and names, never a secret. */
export interface TenantSummary {
  id: string;
  slug: string;
  name: string;
  status: 'active' | 'disabled';
  sdpBaseUrl: string;
  sdpAuthType: 'onprem' | 'cloud';
  llmModel: string | null;
  webhookTokenEnabled: boolean;
  /** A previous webhook secret is still accepted (a rotation is in progress). */
  rotatingWebhookSecret: boolean;
  createdAt: Date;
  updatedAt: Date;
  /** Its connection (the ServiceDesk Plus instance; sdpBaseUrl and sdpAuthType are the connection's). */
  connectionId: string;
  connectionSlug: string;
  edition: ConnectionEdition;
  /** Its account on an MSP connection; null on a single portal. */
  sdpAccountId: string | null;
  sdpAccountName: string | null;
}

interface DirectoryRow extends Record<string, unknown> {
  id: string;
  slug: string;
  name: string;
  status: 'active' | 'disabled';
  sdp_base_url: string;
  sdp_auth_type: 'onprem' | 'cloud';
  llm_model: string | null;
  webhook_token_enabled: boolean;
  rotating_webhook_secret: boolean;
  created_at: string | Date;
  updated_at: string | Date;
  connection_id: string;
  connection_slug: string;
  edition: ConnectionEdition;
  sdp_account_id: string | null;
  sdp_account_name: string | null;
}

/**
 * Every tenant, ordered by slug, through the SECURITY DEFINER function tenant_directory(): the
 * application role cannot see across tenants by policy, and this function returns no secret columns.
 * Not tenant-scoped (nor is findTenantBySlug): the operator's directory is how a tenant is found
 * before there is a tenant to scope to.
 */
export async function listTenants(db: DbOrTx): Promise<TenantSummary[]> {
  const result = await db.execute<DirectoryRow>(sql`select * from tenant_directory()`);
  return result.rows.map(summaryFrom);
}

export async function findTenantBySlug(db: DbOrTx, slug: string): Promise<TenantSummary | null> {
  const result = await db.execute<DirectoryRow>(sql`select * from tenant_directory() where slug = ${slug}`);
  const row = result.rows[0];
  return row ? summaryFrom(row) : null;
}

function summaryFrom(row: DirectoryRow): TenantSummary {
  return {
    id: row.id,
    slug: row.slug,
    name: row.name,
    status: row.status,
    sdpBaseUrl: row.sdp_base_url,
    sdpAuthType: row.sdp_auth_type,
    llmModel: row.llm_model,
    webhookTokenEnabled: row.webhook_token_enabled,
    rotatingWebhookSecret: row.rotating_webhook_secret,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
    connectionId: row.connection_id,
    connectionSlug: row.connection_slug,
    edition: row.edition,
    sdpAccountId: row.sdp_account_id,
    sdpAccountName: row.sdp_account_name,
  };
}
