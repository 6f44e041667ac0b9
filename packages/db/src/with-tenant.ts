import type pg from 'pg';
import type { Db, Tx } from './client.js';
import { NodePgSession, NodePgTransaction, type PgDialect } from './orm.js';

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
  /**
   * Also scopes the transaction to this connection (app.connection_id): creating a tenant together
   * with its own connection, or writing a connection (row-level security of migration 0020).
   */
  connectionId?: string;
}

/**
 * Runs `fn` in a transaction scoped to one tenant. The first statement sets app.tenant_id with
 * is_local = true, so the setting ends with the transaction and a pooled connection never carries
 * a tenant into the next use. Row-level security policies read it through current_tenant_id().
 * Keep `fn` short: no HTTP call to ServiceDesk Plus or the LLM inside it.
 *
 * The pool's connections run in pg's pipeline mode (client.ts): BEGIN and the settings go out as one
 * simple-protocol query without waiting for its answer, and `fn`'s first statement follows it before
 * any answer has come back, so a transaction costs one round trip plus one per further statement,
 * the COMMIT included. The settings are built as text only because the tenant id is checked to be a UUID and the
 * timeout is an integer; every other value stays a parameter. Postgres runs pipelined statements in
 * order and skips the rest of an aborted transaction, so `fn` never runs outside the tenant's
 * transaction: if BEGIN or the settings fail, its statements fail too. Otherwise this is what
 * drizzle's db.transaction() does: same session and transaction classes, commit or rollback.
 */
export function withTenant<T>(
  db: Db,
  tenantId: string,
  fn: (tx: Tx) => Promise<T>,
  options: WithTenantOptions = {},
): Promise<T> {
  return scopedTransaction(db, tenantId, fn, options);
}

/** withTenant() for a tenant or (tenantId null, options.connectionId) a connection alone. */
async function scopedTransaction<T>(
  db: Db,
  tenantId: string | null,
  fn: (tx: Tx) => Promise<T>,
  options: WithTenantOptions,
): Promise<T> {
  const settings = tenantSettings(tenantId, options);
  return onPooledClient(db, async (client, broke) => {
    const begun = client.query(`begin; ${settings}`);
    // Observed below; until then a failure must not count as unhandled.
    begun.catch(() => {});
    try {
      const result = await fn(transactionOn(db, client));
      await begun;
      await client.query('commit');
      return result;
    } catch (error) {
      // A failed BEGIN explains whatever `fn` saw after it.
      const beginError = await begun.then(
        () => null,
        (e: unknown) => e,
      );
      if (beginError) broke(beginError);
      await client.query('rollback').catch(broke);
      throw beginError ?? error;
    }
  });
}

/**
 * withTenant() for exactly one statement, in one round trip: BEGIN with the settings, the statement
 * (parameters sent apart, as everywhere) and COMMIT are written together (pipeline mode) and answered
 * together. If the statement fails, Postgres answers the COMMIT of the aborted transaction with
 * ROLLBACK, so the connection goes back to the pool clean. The worker's per-job statements (claim,
 * similar tickets, budget, posting, posted, failed) run this way (npm run bench -- --only=counts:
 * Postgres round trips per enhancement).
 *
 * `fn` must run one statement through `tx` (a query built on it and awaited); a second one throws.
 * Statements that depend on one another, or on JavaScript between them, belong in withTenant().
 */
export function withTenantStatement<T>(
  db: Db,
  tenantId: string,
  fn: (tx: Tx) => Promise<T>,
  options: WithTenantOptions = {},
): Promise<T> {
  return scopedStatement(db, tenantId, fn, options);
}

/** withTenantStatement() for a tenant or (tenantId null, options.connectionId) a connection alone. */
async function scopedStatement<T>(
  db: Db,
  tenantId: string | null,
  fn: (tx: Tx) => Promise<T>,
  options: WithTenantOptions,
): Promise<T> {
  const settings = tenantSettings(tenantId, options);
  return onPooledClient(db, async (client, broke) => {
    let sent = false;
    const oneShot = {
      async query(config: string | pg.QueryConfig, values?: unknown[]) {
        if (sent) throw new Error('withTenantStatement: only one statement can run; use withTenant()');
        sent = true;
        const [begun, statement, committed] = await Promise.allSettled(
          inOneWrite(client, () => [
            client.query(`begin; ${settings}`),
            client.query(config as pg.QueryConfig, values),
            client.query('commit'),
          ]),
        );
        if (begun.status === 'rejected') {
          broke(begun.reason);
          throw begun.reason;
        }
        if (statement.status === 'rejected') throw statement.reason;
        if (committed.status === 'rejected') {
          broke(committed.reason);
          throw committed.reason;
        }
        return statement.value;
      },
    } as unknown as pg.PoolClient;
    return fn(transactionOn(db, oneShot));
  });
}

/**
 * Runs `send` with the connection's socket corked, so the queries it writes leave in one write
 * (one system call and one TCP segment) instead of one each. node-postgres corks the socket itself
 * around each extended-protocol query; the counts nest. `connection.stream` is node-postgres'
 * socket (not in its types).
 */
function inOneWrite<T>(client: pg.PoolClient, send: () => T): T {
  const stream = (client as unknown as { connection?: { stream?: NodeJS.WritableStream & Partial<Cork> } })
    .connection?.stream;
  stream?.cork?.();
  try {
    return send();
  } finally {
    stream?.uncork?.();
  }
}

interface Cork {
  cork(): void;
  uncork(): void;
}

/** The transaction-local settings, as one SELECT. Built as text: the values are checked first. */
function tenantSettings(tenantId: string | null, options: WithTenantOptions): string {
  const settings: string[] = [];
  if (tenantId !== null) {
    if (!UUID.test(tenantId)) throw new Error('withTenant: tenantId must be a UUID');
    settings.push(`set_config('app.tenant_id', '${tenantId.toLowerCase()}', true)`);
  }
  if (options.connectionId !== undefined) {
    if (!UUID.test(options.connectionId)) throw new Error('withTenant: connectionId must be a UUID');
    settings.push(`set_config('app.connection_id', '${options.connectionId.toLowerCase()}', true)`);
  }
  if (settings.length === 0) throw new Error('withTenant: a tenant or a connection is required');
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

/**
 * What drizzle's db.transaction() hands its callback, over the given client. Built without the
 * schema, then given `tx.query` (drizzle's relational API) on first use: with the schema, drizzle's
 * constructor builds one RelationalQueryBuilder per table for every transaction, and nothing here
 * uses them; that construction was 0.7 % of the worker's CPU, as much as pg's row parsing
 * (npm run bench -- --only=pipeline --cpu-prof, `PgDatabase` in the profile).
 */
function transactionOn(db: Db, client: pg.PoolClient): Tx {
  const { dialect, session } = db as unknown as DrizzleInternals;
  const txSession = new NodePgSession(client, dialect, session.schema, session.options);
  const tx = new NodePgTransaction(dialect, txSession, undefined);
  let relational: unknown;
  Object.defineProperty(tx, 'query', {
    get: () => {
      relational ??= new NodePgTransaction(dialect, txSession, session.schema).query;
      return relational;
    },
  });
  return tx as unknown as Tx;
}

/**
 * Who a tenant-scoped data operation runs for. Without `tx` the operation opens its own tenant
 * transaction, in the mode it chose next to its SQL; with `tx` (an open withTenant() transaction of
 * the same tenant) it joins that one, so a caller can make several operations one unit of work.
 */
export interface TenantScope {
  db: Db;
  tenantId: string;
  tx?: Tx;
  /** Bounds the operation's statements when it opens its own transaction (ignored when joining). */
  statementTimeoutMs?: number;
}

/**
 * What an operation needs: 'statement' when it runs exactly one statement (withTenantStatement(),
 * one round trip), 'transaction' when it runs several or runs JavaScript between them (withTenant()).
 * Both are scoped the same way, so the mode is a matter of round trips only.
 */
export type TenantMode = 'statement' | 'transaction';

/** Runs an operation's SQL for `scope`: in the transaction it joins, or in one of its own in `mode`. */
export function inTenant<T>(scope: TenantScope, mode: TenantMode, fn: (tx: Tx) => Promise<T>): Promise<T> {
  if (scope.tx) return fn(scope.tx);
  const options =
    scope.statementTimeoutMs === undefined ? {} : { statementTimeoutMs: scope.statementTimeoutMs };
  return (mode === 'statement' ? withTenantStatement : withTenant)(scope.db, scope.tenantId, fn, options);
}

/**
 * Who a connection-scoped data operation runs for (the connection's own row, its accounts seen): the
 * operator's connection commands. As TenantScope, `tx` joins an open transaction of the connection.
 */
export interface ConnectionScope {
  db: Db;
  connectionId: string;
  tx?: Tx;
}

/** inTenant() for a connection: the transaction sets app.connection_id and no tenant. */
export function inConnection<T>(
  scope: ConnectionScope,
  mode: TenantMode,
  fn: (tx: Tx) => Promise<T>,
): Promise<T> {
  if (scope.tx) return fn(scope.tx);
  const options = { connectionId: scope.connectionId };
  return (mode === 'statement' ? scopedStatement : scopedTransaction)(scope.db, null, fn, options);
}
