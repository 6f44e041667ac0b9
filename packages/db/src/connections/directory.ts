import type { DbOrTx } from '../client.js';
import { sql } from '../orm.js';
import type { ConnectionEdition } from '../schema/connections.js';

/** A connection as the operator sees it across connections: settings and names, never a secret. */
export interface ConnectionSummary {
  id: string;
  slug: string;
  name: string;
  edition: ConnectionEdition;
  sdpBaseUrl: string;
  sdpAuthType: 'onprem' | 'cloud';
  /** It has a webhook URL of its own (a secret was made by `connection add` or a rotation). */
  hasWebhookSecret: boolean;
  webhookTokenEnabled: boolean;
  rotatingWebhookSecret: boolean;
  /** null: the installation's SDP_RATE_LIMIT_PER_MINUTE. */
  sdpRateLimitPerMinute: number | null;
  /** How many tenants it serves. */
  tenants: number;
  createdAt: Date;
  updatedAt: Date;
}

interface DirectoryRow extends Record<string, unknown> {
  id: string;
  slug: string;
  name: string;
  edition: ConnectionEdition;
  sdp_base_url: string;
  sdp_auth_type: 'onprem' | 'cloud';
  has_webhook_secret: boolean;
  webhook_token_enabled: boolean;
  rotating_webhook_secret: boolean;
  sdp_rate_limit_per_minute: number | null;
  tenants: number;
  created_at: string | Date;
  updated_at: string | Date;
}

/**
 * Every connection, ordered by slug, through the SECURITY DEFINER function connection_directory()
 * (migration 0020), which returns no secret column. Not scoped: it is how a connection is found.
 */
export async function listConnections(db: DbOrTx): Promise<ConnectionSummary[]> {
  const result = await db.execute<DirectoryRow>(sql`select * from connection_directory()`);
  return result.rows.map(summaryFrom);
}

export async function findConnectionBySlug(db: DbOrTx, slug: string): Promise<ConnectionSummary | null> {
  const result = await db.execute<DirectoryRow>(
    sql`select * from connection_directory() where slug = ${slug}`,
  );
  const row = result.rows[0];
  return row ? summaryFrom(row) : null;
}

export async function findConnectionById(db: DbOrTx, id: string): Promise<ConnectionSummary | null> {
  const result = await db.execute<DirectoryRow>(sql`select * from connection_directory() where id = ${id}`);
  const row = result.rows[0];
  return row ? summaryFrom(row) : null;
}

function summaryFrom(row: DirectoryRow): ConnectionSummary {
  return {
    id: row.id,
    slug: row.slug,
    name: row.name,
    edition: row.edition,
    sdpBaseUrl: row.sdp_base_url,
    sdpAuthType: row.sdp_auth_type,
    hasWebhookSecret: row.has_webhook_secret,
    webhookTokenEnabled: row.webhook_token_enabled,
    rotatingWebhookSecret: row.rotating_webhook_secret,
    sdpRateLimitPerMinute: row.sdp_rate_limit_per_minute,
    tenants: Number(row.tenants),
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}
