import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { ensurePgvectorStore } from './embeddings/pgvector.js';
import { drizzle, migrate } from './orm.js';

export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../drizzle', import.meta.url));

/**
 * The application role's default statement timeout in this database, so a runaway query cannot hold
 * a connection (and a job) hostage. Set on the role rather than sent at connection start: PgBouncer
 * in transaction mode and RDS Proxy refuse or pin sessions with startup parameters, while a role
 * setting applies to every server connection the pooler opens as that role, with nothing to configure
 * on the pooler.
 */
export const DEFAULT_STATEMENT_TIMEOUT = '30s';

// Any fixed 64-bit number works; this one spells "ai-agent" in ASCII.
const MIGRATION_LOCK_KEY = '7019338829158311540';

export interface MigrateOptions {
  /** Connection of the migration/owner role. */
  databaseUrl: string;
  /** The application role: LOGIN, not owner, not superuser, not BYPASSRLS. */
  appRole: string;
  appPassword?: string | undefined;
  log?: (message: string) => void;
}

/**
 * Applies pending migrations and (re)asserts the application role and its grants. Runs under a
 * session advisory lock, so concurrent runners (several init containers) apply each migration once:
 * the others wait, then find nothing to do. That lock lives as long as the session, across many
 * transactions, so migrate needs a direct connection: behind a transaction-pooling proxy the unlock
 * could reach another server connection than the lock (and the lock would outlive the run).
 */
export async function runMigrations(options: MigrateOptions): Promise<{ applied: number }> {
  const log = options.log ?? (() => {});
  const client = new pg.Client({
    connectionString: options.databaseUrl,
    application_name: 'ai-agents-migrate',
  });
  await client.connect();
  try {
    log('waiting for the migration lock');
    await client.query('select pg_advisory_lock($1::bigint)', [MIGRATION_LOCK_KEY]);
    try {
      const before = await appliedCount(client);
      await migrate(drizzle({ client }), { migrationsFolder: MIGRATIONS_FOLDER });
      const applied = (await appliedCount(client)) - before;
      log(applied > 0 ? `applied ${applied} migration(s)` : 'schema is up to date');
      await ensureAppRole(client, options.appRole, options.appPassword);
      log(`role ${options.appRole} and its grants are in place`);
      // The pgvector store, only where the operator installed the `vector` extension (pgvector.ts).
      const store = await ensurePgvectorStore(client, options.appRole);
      log(
        store === 'created'
          ? 'pgvector store is in place'
          : 'no vector extension: similar tickets scan in the worker',
      );
      return { applied };
    } finally {
      await client.query('select pg_advisory_unlock($1::bigint)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await client.end();
  }
}

async function appliedCount(client: pg.Client): Promise<number> {
  const { rows } = await client.query<{ exists: boolean }>(
    `select to_regclass('drizzle.__drizzle_migrations') is not null as exists`,
  );
  if (!rows[0]?.exists) return 0;
  const count = await client.query<{ n: number }>(
    'select count(*)::int as n from drizzle.__drizzle_migrations',
  );
  return count.rows[0]?.n ?? 0;
}

/** Table privileges of the application role: what the API and worker need, nothing more. */
const TABLE_GRANTS: Record<string, string> = {
  tenants: 'SELECT, INSERT, UPDATE',
  // ServiceDesk Plus instances (migration 0020), under row-level security by app.connection_id or a
  // tenant of theirs; deleted only by erasure_finish() with their last tenant.
  connections: 'SELECT, INSERT, UPDATE',
  // Accounts seen without a tenant: written only through connection_account_seen().
  connection_accounts_seen: 'SELECT',
  enhancements: 'SELECT, INSERT, UPDATE',
  ticket_history: 'SELECT, INSERT, UPDATE, DELETE',
  // Written by the ticket_history triggers, which run as the writing role.
  ticket_terms: 'SELECT, INSERT, UPDATE, DELETE',
  ticket_term_stats: 'SELECT, INSERT, UPDATE, DELETE',
  ticket_history_stats: 'SELECT, INSERT, UPDATE, DELETE',
  system_inventory: 'SELECT, INSERT, UPDATE, DELETE',
  // The SDP backfill's resume cursor.
  history_import_cursors: 'SELECT, INSERT, UPDATE, DELETE',
  // The reconcile sweep's cursor: read and moved forward by the worker.
  reconcile_cursors: 'SELECT, INSERT, UPDATE',
  // Similar tickets by meaning: written at backfill, import and refit; old models are deleted.
  ticket_vectors: 'SELECT, INSERT, UPDATE, DELETE',
  embedding_models: 'SELECT, INSERT, UPDATE, DELETE',
  // Append-only: the application can add to the audit trail but never rewrite it.
  audit_log: 'SELECT, INSERT',
  // What embeddings API calls cost each tenant: added and summed, never rewritten (it is a bill).
  embedding_usage: 'SELECT, INSERT',
  // Feedback is a record of what technicians said: added, never edited by the application.
  feedback: 'SELECT, INSERT',
  // Who erased which tenant when (tenant erase): written only through the erasure_* functions.
  erasure_log: 'SELECT',
  // The model's input and output a tenant chose to keep: written with a note, read by `note show`,
  // deleted by the retention job after the tenant's days (packages/db/src/explanations/).
  llm_exchanges: 'SELECT, INSERT, DELETE',
};

/**
 * SECURITY DEFINER functions the application role may call: its only ways to read tenants it is not
 * scoped to (webhook authentication by slug; the operator CLI's directory without secrets).
 */
const DEFINER_FUNCTIONS = [
  'webhook_tenant(text)',
  'tenant_directory()',
  // Connections (migration 0020): the operator's directory without secrets, the connection webhook's
  // authentication by slug, its tenant by account, and the bounded record of unmapped accounts.
  'connection_directory()',
  'webhook_connection(text)',
  'connection_account_tenant(uuid, text)',
  'connection_account_seen(uuid, text, text)',
  // Billing and feedback reports across tenants: aggregates only.
  'tenant_usage(timestamptz, timestamptz)',
  'feedback_rates(timestamptz)',
  // Retention (migration 0012): the only deletes of audit entries, enhancements and feedback
  // comments, by age and above each function's floor, of the tenant the transaction is scoped to.
  'retention_remove_audit(timestamptz, integer)',
  'retention_clear_feedback_comments(timestamptz, integer)',
  'retention_remove_enhancements(timestamptz, integer)',
  // Tenant erasure (tenant erase): each refuses unless the transaction is scoped to the tenant and the
  // tenant is disabled (migration 0015_tenant_erasure).
  'erasure_begin(uuid, text)',
  'erasure_delete_batch(uuid, text, integer)',
  'erasure_count(uuid, text)',
  'erasure_finish(uuid, integer)',
  // `note show <ref>`: whose note a reference is (tenant id and slug only; migration 0016).
  'note_owner(uuid)',
];

async function ensureAppRole(client: pg.Client, role: string, password: string | undefined): Promise<void> {
  const name = client.escapeIdentifier(role);
  const attributes = 'LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOREPLICATION INHERIT';
  const passwordClause = password ? ` PASSWORD ${client.escapeLiteral(password)}` : '';
  // Roles are cluster-wide while the advisory lock is per database, so runners migrating different
  // databases of one cluster can race here; Postgres then reports a duplicate or a concurrent update.
  await retryOnConcurrentCatalogUpdate(async () => {
    const { rowCount } = await client.query('select 1 from pg_roles where rolname = $1', [role]);
    await client.query(`${rowCount ? 'ALTER' : 'CREATE'} ROLE ${name} ${attributes}${passwordClause}`);
  });
  const database = client.escapeIdentifier(
    (await client.query<{ db: string }>('select current_database() as db')).rows[0]?.db ?? '',
  );
  await client.query('BEGIN');
  try {
    await client.query(`GRANT CONNECT, TEMPORARY ON DATABASE ${database} TO ${name}`);
    // Per database, so other databases of the cluster (and other installations' roles) are untouched.
    await client.query(
      `ALTER ROLE ${name} IN DATABASE ${database} SET statement_timeout = ${client.escapeLiteral(DEFAULT_STATEMENT_TIMEOUT)}`,
    );
    await client.query(`GRANT USAGE ON SCHEMA public TO ${name}`);
    await client.query(`REVOKE CREATE ON SCHEMA public FROM ${name}`);
    for (const [table, privileges] of Object.entries(TABLE_GRANTS)) {
      await client.query(`REVOKE ALL ON TABLE public.${table} FROM ${name}`);
      await client.query(`GRANT ${privileges} ON TABLE public.${table} TO ${name}`);
    }
    await client.query(`GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ${name}`);
    for (const fn of DEFINER_FUNCTIONS) {
      await client.query(`GRANT EXECUTE ON FUNCTION public.${fn} TO ${name}`);
    }
    // SECURITY INVOKER (row-level security applies): similar-ticket scoring.
    await client.query(
      `GRANT EXECUTE ON FUNCTION public.similar_tickets(text, text, integer, integer, integer) TO ${name}`,
    );
    // SECURITY INVOKER: the worker's claim and alert-storm join, one statement each.
    await client.query(
      `GRANT EXECUTE ON FUNCTION public.begin_enhancement(uuid, text, text, text) TO ${name}`,
    );
    await client.query(
      `GRANT EXECUTE ON FUNCTION public.join_alert_storm(uuid, uuid, text, integer) TO ${name}`,
    );
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  }
}

async function retryOnConcurrentCatalogUpdate(fn: () => Promise<void>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      const code = (error as { code?: string }).code;
      const concurrent =
        code === '42710' ||
        code === '23505' ||
        (error as Error).message?.includes('tuple concurrently updated');
      if (!concurrent || attempt >= 5) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50 * attempt + Math.random() * 50));
    }
  }
}

/** Creates a database if it does not exist (demo and tests); `adminUrl` must reach any database of the cluster. */
export async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (!rowCount) {
      try {
        await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
      } catch (error) {
        // Another process created it between the check and the create.
        if ((error as { code?: string }).code !== '42P04') throw error;
      }
    }
  } finally {
    await client.end();
  }
}

/** Drops a database made by `ensureDatabase`, closing any connection still open to it (demo and tests). */
export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(name)} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}
