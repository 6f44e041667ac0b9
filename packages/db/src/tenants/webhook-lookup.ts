import type { Db } from '../client.js';
import { sql } from '../orm.js';
import type { ConnectionEdition } from '../schema/connections.js';

export interface WebhookTenant {
  id: string;
  status: 'active' | 'disabled';
  webhookSecretEnc: string;
  webhookSecretPreviousEnc: string | null;
  webhookTokenEnabled: boolean;
}

/**
 * Slug → what webhook authentication needs, before any tenant context exists. Goes through the
 * SECURITY DEFINER function webhook_tenant(), the only path by which the application role reads a
 * tenant it has not been scoped to. Not tenant-scoped for that reason: it finds the tenant.
 */
export async function findWebhookTenant(db: Db, slug: string): Promise<WebhookTenant | null> {
  const result = await db.execute<{
    id: string;
    status: 'active' | 'disabled';
    webhook_secret_enc: string;
    webhook_secret_previous_enc: string | null;
    webhook_token_enabled: boolean;
  }>(sql`select * from webhook_tenant(${slug})`);
  const row = result.rows[0];
  if (!row) return null;
  return {
    id: row.id,
    status: row.status,
    webhookSecretEnc: row.webhook_secret_enc,
    webhookSecretPreviousEnc: row.webhook_secret_previous_enc,
    webhookTokenEnabled: row.webhook_token_enabled,
  };
}

export interface WebhookConnection {
  id: string;
  edition: ConnectionEdition;
  /** Null until the connection has a webhook URL of its own. */
  webhookSecretEnc: string | null;
  webhookSecretPreviousEnc: string | null;
  webhookTokenEnabled: boolean;
  /** How many tenants it serves (its webhook rate limit scales with them). */
  tenants: number;
}

/**
 * Connection slug → what its webhook's authentication and routing need, through the SECURITY
 * DEFINER function webhook_connection() (migration 0020). Not scoped: it finds the connection.
 */
export async function findWebhookConnection(db: Db, slug: string): Promise<WebhookConnection | null> {
  const result = await db.execute<{
    id: string;
    edition: ConnectionEdition;
    webhook_secret_enc: string | null;
    webhook_secret_previous_enc: string | null;
    webhook_token_enabled: boolean;
    tenants: number;
  }>(sql`select * from webhook_connection(${slug})`);
  const row = result.rows[0];
  if (!row) return null;
  return {
    id: row.id,
    edition: row.edition,
    webhookSecretEnc: row.webhook_secret_enc,
    webhookSecretPreviousEnc: row.webhook_secret_previous_enc,
    webhookTokenEnabled: row.webhook_token_enabled,
    tenants: Number(row.tenants),
  };
}

/** The tenant mapped to (connection, account) — account null: a single portal's tenant — or null. */
export async function findAccountTenant(
  db: Db,
  connectionId: string,
  sdpAccountId: string | null,
): Promise<{ id: string; slug: string; status: 'active' | 'disabled' } | null> {
  const result = await db.execute<{ id: string; slug: string; status: 'active' | 'disabled' }>(
    sql`select * from connection_account_tenant(${connectionId}::uuid, ${sdpAccountId})`,
  );
  return result.rows[0] ?? null;
}

/**
 * Remembers an account a connection's webhook named with no tenant mapped (first and last seen,
 * deliveries), for `connection accounts`. False when the connection already has
 * CONNECTION_ACCOUNTS_SEEN_MAX accounts recorded and this one is new: it is not recorded then.
 */
export async function recordUnmappedAccount(
  db: Db,
  connectionId: string,
  sdpAccountId: string,
  sdpAccountName: string | null,
): Promise<boolean> {
  const result = await db.execute<{ recorded: boolean }>(
    sql`select connection_account_seen(${connectionId}::uuid, ${sdpAccountId}, ${sdpAccountName}) as recorded`,
  );
  return result.rows[0]?.recorded === true;
}
