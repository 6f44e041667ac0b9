import pg from 'pg';
import { drizzle, type NodePgDatabase } from './orm.js';
import * as schema from './schema/index.js';

export type Db = NodePgDatabase<typeof schema>;
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
/** Operations take either the pool-backed db or an open transaction, and reuse the transaction when given one. */
export type DbOrTx = Db | Tx;

export interface Database {
  db: Db;
  pool: pg.Pool;
  close(): Promise<void>;
}

export function createDatabase(options: {
  url: string;
  max?: number;
  applicationName?: string;
  onError?: (error: Error) => void;
}): Database {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.max ?? 10,
    application_name: options.applicationName ?? 'ai-agents',
    // Fail fast when Postgres is unreachable instead of queueing callers for ever.
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    // Pipeline mode: a query is written at once, without waiting for the one before it to be
    // answered. Code that awaits each query (drizzle's db.transaction(), the admin CLI) behaves as
    // before; withTenant() writes BEGIN and its first statement together, and withTenantStatement()
    // a whole transaction, in one round trip. Connections are never shared between
    // callers (pool.connect() hands each one its own), so pipelined answers cannot mix.
    pipeline: true,
    // No statement_timeout here: pg would send it as a startup parameter, which transaction-pooling
    // proxies refuse (PgBouncer: "unsupported startup parameter"). The application role carries the
    // default instead (migrate sets it, see DEFAULT_STATEMENT_TIMEOUT), and withTenant() narrows it
    // inside a transaction with set_config(..., true).
  });
  // An idle client losing its connection emits 'error' on the pool; unhandled, it would kill the process.
  pool.on('error', (error) => options.onError?.(error));
  const db = drizzle({ client: pool, schema });
  return { db, pool, close: () => pool.end() };
}
