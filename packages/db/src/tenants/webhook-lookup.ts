import type { Db } from '../client.js';
import { sql } from '../orm.js';

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
