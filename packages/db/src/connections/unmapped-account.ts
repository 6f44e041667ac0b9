import { sql } from 'drizzle-orm';
import type { Db } from '../client.js';

/**
 * Remembers an account of a connection that no tenant is mapped to (first and last seen, times seen),
 * for `connection accounts`, through the SECURITY DEFINER function connection_account_seen()
 * (migration 0016). False when the connection already has CONNECTION_ACCOUNTS_SEEN_MAX accounts
 * recorded and this one is new: it is not recorded then. The name is cut to the column's 200 characters.
 */
export async function recordUnmappedAccount(
  db: Db,
  connectionId: string,
  sdpAccountId: string,
  sdpAccountName: string | null,
): Promise<boolean> {
  const result = await db.execute<{ recorded: boolean }>(
    sql`select connection_account_seen(${connectionId}::uuid, ${sdpAccountId}, ${sdpAccountName?.slice(0, 200) ?? null}) as recorded`,
  );
  return result.rows[0]?.recorded === true;
}
