/// <reference path="./pg-utils.d.ts" />
import { NodePgSession, NodePgTransaction } from 'drizzle-orm/node-postgres';
import type { PgDialect } from 'drizzle-orm/pg-core';
import type pg from 'pg';
import { escapeLiteral } from 'pg';
// pg's own conversion of a parameter to its text form (Date, array, JSON...), so an inlined literal
// is exactly what would have been sent as the parameter.
import { prepareValue } from 'pg/lib/utils';
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
  const settings = tenantSettings(tenantId, options);
  return onPooledClient(db, async (client, broke) => {
    try {
      await client.query(`begin; ${settings}`);
    } catch (error) {
      broke(error);
      throw error;
    }
    try {
      const result = await fn(transactionOn(db, client));
      await client.query('commit');
      return result;
    } catch (error) {
      await client.query('rollback').catch(broke);
      throw error;
    }
  });
}

/**
 * withTenant() for exactly one statement, in one round trip instead of three: BEGIN, the settings,
 * the statement and COMMIT go to Postgres as one simple-protocol query. The statement's parameters
 * are written into it as quoted literals (pg's own value conversion and escapeLiteral), which
 * Postgres types exactly as it types parameters sent apart: as "unknown", resolved by context. The
 * worker's per-job statements about its own state (claim, alert storm, budget, posting, posted,
 * failed) run this way, one round trip each instead of three (npm run bench -- --only=pipeline).
 *
 * `fn` must run one statement through `tx` (a query built on it and awaited); a second one throws.
 * Statements that depend on one another, or on JavaScript between them, belong in withTenant().
 * So do statements carrying ticket text or secrets: here their values become part of the statement's
 * text, which Postgres writes to its log when the statement fails (log_min_error_statement) and
 * shows in pg_stat_activity, where a parameter would not appear.
 */
export async function withTenantStatement<T>(
  db: Db,
  tenantId: string,
  fn: (tx: Tx) => Promise<T>,
  options: WithTenantOptions = {},
): Promise<T> {
  const settings = tenantSettings(tenantId, options);
  return onPooledClient(db, async (client, broke) => {
    let sent = false;
    const oneShot = {
      async query(config: string | pg.QueryConfig, values?: unknown[]) {
        if (sent) throw new Error('withTenantStatement: only one statement can run; use withTenant()');
        sent = true;
        const query = typeof config === 'string' ? { text: config } : config;
        const text = `begin; ${settings}; ${inlineParameters(query.text, values ?? query.values ?? [])}; commit`;
        try {
          // One result per statement: begin, settings, the statement, commit.
          const { rowMode } = query as { rowMode?: 'array' };
          const request = { text, types: query.types, ...(rowMode ? { rowMode } : {}) };
          const results = (await client.query(request as pg.QueryConfig)) as unknown as pg.QueryResult[];
          return results[2];
        } catch (error) {
          // The transaction is open and aborted (a failed statement skips the COMMIT after it).
          await client.query('rollback').catch(broke);
          throw error;
        }
      },
    } as unknown as pg.PoolClient;
    return fn(transactionOn(db, oneShot));
  });
}

/** The transaction-local settings, as one SELECT. Built as text: the values are checked first. */
function tenantSettings(tenantId: string, options: WithTenantOptions): string {
  if (!UUID.test(tenantId)) throw new Error('withTenant: tenantId must be a UUID');
  const settings = [`set_config('app.tenant_id', '${tenantId.toLowerCase()}', true)`];
  if (options.statementTimeoutMs !== undefined) {
    const ms = Math.max(1, Math.round(options.statementTimeoutMs));
    if (!Number.isFinite(ms)) throw new Error('withTenant: statementTimeoutMs must be a number');
    settings.push(`set_config('statement_timeout', '${ms}', true)`);
  }
  return `select ${settings.join(', ')}`;
}

/**
 * Runs `work` on a pooled connection. `broke` records that the connection may be left inside a
 * transaction: it is then discarded on release, not handed to the next caller.
 */
async function onPooledClient<T>(
  db: Db,
  work: (client: pg.PoolClient, broke: (error: unknown) => void) => Promise<T>,
): Promise<T> {
  const { session } = db as unknown as DrizzleInternals;
  const client = await session.client.connect();
  let broken: Error | undefined;
  try {
    return await work(client, (error) => {
      broken = error instanceof Error ? error : new Error(String(error));
    });
  } finally {
    client.release(broken);
  }
}

/** What drizzle's db.transaction() hands its callback, over the given client. */
function transactionOn(db: Db, client: pg.PoolClient): Tx {
  const { dialect, session } = db as unknown as DrizzleInternals;
  return new NodePgTransaction(
    dialect,
    new NodePgSession(client, dialect, session.schema, session.options),
    session.schema,
  ) as unknown as Tx;
}

/**
 * `text` with each $n placeholder replaced by parameter n as a quoted literal. Placeholders inside
 * quoted strings, quoted identifiers, dollar-quoted bodies and comments are left alone.
 */
export function inlineParameters(text: string, values: readonly unknown[]): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const ch = text[i] as string;
    const next = text[i + 1];
    let end = i + 1;
    if (ch === "'" || ch === '"') {
      end = text.indexOf(ch, i + 1);
      // A doubled quote inside the string is part of it.
      while (end !== -1 && text[end + 1] === ch) end = text.indexOf(ch, end + 2);
      if (end === -1) throw new Error('inlineParameters: unterminated quote');
      end += 1;
    } else if (ch === '-' && next === '-') {
      end = text.indexOf('\n', i);
      if (end === -1) end = text.length;
    } else if (ch === '/' && next === '*') {
      end = text.indexOf('*/', i + 2);
      if (end === -1) throw new Error('inlineParameters: unterminated comment');
      end += 2;
    } else if (ch === '$') {
      const placeholder = /^\$(\d+)/.exec(text.slice(i, i + 12));
      const tag = placeholder ? null : /^\$[A-Za-z_]\w*\$|^\$\$/.exec(text.slice(i, i + 64));
      if (placeholder) {
        const index = Number(placeholder[1]) - 1;
        if (index < 0 || index >= values.length)
          throw new Error(`inlineParameters: no value for ${placeholder[0]}`);
        out += literal(values[index]);
        i += placeholder[0].length;
        continue;
      }
      if (tag) {
        end = text.indexOf(tag[0], i + tag[0].length);
        if (end === -1) throw new Error('inlineParameters: unterminated dollar quote');
        end += tag[0].length;
      }
    }
    out += text.slice(i, end);
    i = end;
  }
  return out;
}

function literal(value: unknown): string {
  const prepared = prepareValue(value);
  if (prepared === null || prepared === undefined) return 'null';
  if (typeof prepared !== 'string')
    throw new Error('inlineParameters: binary parameters are not supported; use withTenant()');
  return escapeLiteral(prepared);
}
