import { sql } from 'drizzle-orm';
import type { Db, Tx } from './client.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Runs `fn` in a transaction scoped to one tenant. The first statement sets app.tenant_id with
 * is_local = true, so the setting ends with the transaction and a pooled connection never carries
 * a tenant into the next use. Row-level security policies read it through current_tenant_id().
 * Keep `fn` short: no HTTP call to ServiceDesk Plus or the LLM inside it.
 */
export async function withTenant<T>(db: Db, tenantId: string, fn: (tx: Tx) => Promise<T>): Promise<T> {
  if (!UUID.test(tenantId)) throw new Error('withTenant: tenantId must be a UUID');
  return db.transaction(async (tx) => {
    await tx.execute(sql`select set_config('app.tenant_id', ${tenantId}, true)`);
    return fn(tx);
  });
}
