import { asc } from '../orm.js';
import { type ConnectionAccountSeenRow, connectionAccountsSeen } from '../schema/connection-accounts-seen.js';
import { type ConnectionScope, inConnection } from '../with-tenant.js';

/**
 * The accounts the connection's webhooks named with no tenant mapped (connection_account_seen()
 * records them, at most CONNECTION_ACCOUNTS_SEEN_MAX per connection), oldest first. Rows stay after
 * the account is mapped: `connection accounts` shows the tenant beside it.
 */
export async function listSeenAccounts(scope: ConnectionScope): Promise<ConnectionAccountSeenRow[]> {
  return inConnection(scope, 'statement', (tx) =>
    tx.select().from(connectionAccountsSeen).orderBy(asc(connectionAccountsSeen.firstSeenAt)),
  );
}
