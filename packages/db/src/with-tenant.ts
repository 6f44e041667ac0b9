import { NodePgSession, NodePgTransaction } from 'drizzle-orm/node-postgres';
import type { PgDialect } from 'drizzle-orm/pg-core';
import type pg from 'pg';
import type { Db, Tx } from './client.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** What drizzle's own db.transaction() uses to build a transaction object (not in its public types). */
interface DrizzleInternals {
  dialect: PgDialect;
  session: {
    client: pg.Pool;
    schema: ConstructorParameters<typeof NodePgSession>[2];
    options: ConstructorParameters<typeof NodePgSession>[3];
  };
}

export interface WithTenantOptions {
  /** Bounds every statement of the transaction (transaction-local, set in the same round trip). */
  statementTimeoutMs?: number;
}

/**
 * Runs `fn` in a transaction scoped to one tenant. The first statement sets app.tenant_id with
 * is_local = true, so the setting ends with the transaction and a pooled connection never carries
 * a tenant into the next use. Row-level security policies read it through current_tenant_id().
 * Keep `fn` short: no HTTP call to ServiceDesk Plus or the LLM inside it.
 *
 * BEGIN and the settings go to Postgres as one simple-protocol query (one round trip instead of
 * two or three per transaction; the worker runs several per job). That is safe to build as text only
 * because the tenant id is checked to be a UUID and the timeout is an integer. Otherwise this is what
 * drizzle's db.transaction() does: same session and transaction classes, commit or rollback.
 */
export async function withTenant<T>(
  db: Db,
  tenantId: string,
  fn: (tx: Tx) => Promise<T>,
  options: WithTenantOptions = {},
): Promise<T> {
  if (!UUID.test(tenantId)) throw new Error('withTenant: tenantId must be a UUID');
  const settings = [`select set_config('app.tenant_id', '${tenantId.toLowerCase()}', true)`];
  if (options.statementTimeoutMs !== undefined) {
    const ms = Math.max(1, Math.round(options.statementTimeoutMs));
    if (!Number.isFinite(ms)) throw new Error('withTenant: statementTimeoutMs must be a number');
    settings.push(`select set_config('statement_timeout', '${ms}', true)`);
  }
  const { dialect, session } = db as unknown as DrizzleInternals;
  const client = await session.client.connect();
  // Set when the connection may be left inside a transaction: it is then discarded, not handed on.
  let broken: Error | undefined;
  try {
    try {
      await client.query(`begin; ${settings.join('; ')}`);
    } catch (error) {
      broken = error instanceof Error ? error : new Error('begin failed');
      throw error;
    }
    const tx = new NodePgTransaction(
      dialect,
      new NodePgSession(client, dialect, session.schema, session.options),
      session.schema,
    ) as unknown as Tx;
    try {
      const result = await fn(tx);
      await client.query('commit');
      return result;
    } catch (error) {
      await client.query('rollback').catch((rollbackError: Error) => {
        broken = rollbackError;
      });
      throw error;
    }
  } finally {
    client.release(broken);
  }
}
