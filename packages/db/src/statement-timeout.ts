import { sql } from 'drizzle-orm';
import type { Tx } from './client.js';

/** Bounds every later statement of this transaction (transaction-local, like withTenant's setting). */
export async function setStatementTimeout(tx: Tx, ms: number): Promise<void> {
  await tx.execute(sql`select set_config('statement_timeout', ${String(Math.max(1, Math.round(ms)))}, true)`);
}
