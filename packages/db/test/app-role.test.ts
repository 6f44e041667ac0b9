import { createTestDatabase, LOCAL_APP_ROLE, type TestDatabase } from '@ai-agents/sandbox';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Pins what the application role (the API's and worker's DATABASE_URL) may do, read from the
// catalogs after the real migrations ran. A later migration or grant that widens it — ownership,
// superuser, BYPASSRLS, a new privilege, a new SECURITY DEFINER function — fails here and has to
// be justified by editing the expectations below.

let testDb: TestDatabase;
let owner: pg.Client;
let app: pg.Client;

const role = LOCAL_APP_ROLE;

beforeAll(async () => {
  testDb = await createTestDatabase();
  owner = new pg.Client({ connectionString: testDb.ownerUrl });
  app = new pg.Client({ connectionString: testDb.appUrl });
  await owner.connect();
  await app.connect();
});

afterAll(async () => {
  await app?.end();
  await owner?.end();
  await testDb?.drop();
});

async function rows<T extends pg.QueryResultRow>(text: string, values: unknown[] = [role]): Promise<T[]> {
  return (await owner.query<T>(text, values)).rows;
}

describe('the application role cannot get around row-level security', () => {
  it('is a plain login role: not superuser, not BYPASSRLS, cannot create roles or databases, member of nothing', async () => {
    expect(
      await rows(
        `select rolsuper, rolbypassrls, rolcreaterole, rolcreatedb, rolreplication, rolinherit, rolcanlogin,
                (select count(*)::int from pg_auth_members m where m.member = r.oid) as member_of
           from pg_roles r where rolname = $1`,
      ),
    ).toEqual([
      {
        rolsuper: false,
        rolbypassrls: false,
        rolcreaterole: false,
        rolcreatedb: false,
        rolreplication: false,
        rolinherit: true,
        rolcanlogin: true,
        member_of: 0,
      },
    ]);
  });

  it('owns nothing in the database (so it can neither ALTER nor DROP), and the tables are not its own', async () => {
    expect(
      await rows(
        `select 'relation' as kind, relname::text as name from pg_class where relowner = (select oid from pg_roles where rolname = $1)
         union all select 'function', proname::text from pg_proc where proowner = (select oid from pg_roles where rolname = $1)
         union all select 'schema', nspname::text from pg_namespace where nspowner = (select oid from pg_roles where rolname = $1)
         union all select 'type', typname::text from pg_type where typowner = (select oid from pg_roles where rolname = $1)`,
      ),
    ).toEqual([]);
  });

  it('has exactly the intended table privileges', async () => {
    const privileges = ['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER'];
    const granted = await rows<{ table: string; privileges: string[] }>(
      `select c.relname as table,
              array(select p from unnest($2::text[]) p where has_table_privilege($1, c.oid, p)) as privileges
         from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast') and c.relkind in ('r', 'p', 'v', 'm', 'f')
        order by 1`,
      [role, privileges],
    );
    expect(granted).toEqual([
      // drizzle's migration journal (schema drizzle): nothing.
      { table: '__drizzle_migrations', privileges: [] },
      // Append-only audit trail.
      { table: 'audit_log', privileges: ['SELECT', 'INSERT'] },
      // Accounts a connection's webhooks named without a tenant: written by connection_account_seen().
      { table: 'connection_accounts_seen', privileges: ['SELECT'] },
      // ServiceDesk Plus instances: deleted only with their last tenant, by erasure_finish().
      { table: 'connections', privileges: ['SELECT', 'INSERT', 'UPDATE'] },
      // Per-tenant embedder fits (LSA), replaced on a refit.
      { table: 'embedding_models', privileges: ['SELECT', 'INSERT', 'UPDATE', 'DELETE'] },
      // What embeddings API calls cost: a bill, added and never rewritten.
      { table: 'embedding_usage', privileges: ['SELECT', 'INSERT'] },
      { table: 'enhancements', privileges: ['SELECT', 'INSERT', 'UPDATE'] },
      // Who erased which tenant: read by the CLI, written only by the erasure_* functions.
      { table: 'erasure_log', privileges: ['SELECT'] },
      // Technicians' verdicts: added, never rewritten.
      { table: 'feedback', privileges: ['SELECT', 'INSERT'] },
      // The SDP backfill's resume point.
      { table: 'history_import_cursors', privileges: ['SELECT', 'INSERT', 'UPDATE', 'DELETE'] },
      // The model I/O a tenant keeps: written with a note, removed by retention, never rewritten.
      { table: 'llm_exchanges', privileges: ['SELECT', 'INSERT', 'DELETE'] },
      // The reconcile sweep's cursor: moved forward, never deleted (the tenant's deletion cascades).
      { table: 'reconcile_cursors', privileges: ['SELECT', 'INSERT', 'UPDATE'] },
      { table: 'system_inventory', privileges: ['SELECT', 'INSERT', 'UPDATE', 'DELETE'] },
      { table: 'tenants', privileges: ['SELECT', 'INSERT', 'UPDATE'] },
      { table: 'ticket_history', privileges: ['SELECT', 'INSERT', 'UPDATE', 'DELETE'] },
      // The retrieval index, written by ticket_history's triggers as the writing role.
      { table: 'ticket_history_stats', privileges: ['SELECT', 'INSERT', 'UPDATE', 'DELETE'] },
      { table: 'ticket_term_stats', privileges: ['SELECT', 'INSERT', 'UPDATE', 'DELETE'] },
      { table: 'ticket_terms', privileges: ['SELECT', 'INSERT', 'UPDATE', 'DELETE'] },
      // History vectors per embedder model, rewritten on a re-embed.
      { table: 'ticket_vectors', privileges: ['SELECT', 'INSERT', 'UPDATE', 'DELETE'] },
    ]);
  });

  it('may create nothing: no CREATE on the database or any schema', async () => {
    expect(
      await rows(
        `select has_database_privilege($1, current_database(), 'CREATE') as database_create,
                has_schema_privilege($1, 'public', 'CREATE') as public_create,
                has_schema_privilege($1, 'public', 'USAGE') as public_usage,
                has_schema_privilege($1, 'drizzle', 'USAGE') as drizzle_usage`,
      ),
    ).toEqual([{ database_create: false, public_create: false, public_usage: true, drizzle_usage: false }]);
  });

  it('can execute exactly these SECURITY DEFINER functions, each with a fixed search_path', async () => {
    expect(
      await rows(
        `select p.proname as name, p.proconfig as config from pg_proc p
           join pg_namespace n on n.oid = p.pronamespace
          where p.prosecdef and n.nspname not in ('pg_catalog', 'information_schema')
            and has_function_privilege($1, p.oid, 'EXECUTE')
          order by 1`,
      ),
    ).toEqual([
      // Connections (migration 0020): the bounded record of unmapped accounts, the tenant of an
      // account (id and status only), the directory without secrets.
      { name: 'connection_account_seen', config: ['search_path=pg_catalog, public'] },
      { name: 'connection_account_tenant', config: ['search_path=pg_catalog, public'] },
      { name: 'connection_directory', config: ['search_path=pg_catalog, public'] },
      // Tenant erasure: scoped to the transaction's tenant, refused for a tenant not disabled.
      { name: 'erasure_begin', config: ['search_path=pg_catalog, public'] },
      { name: 'erasure_count', config: ['search_path=pg_catalog, public'] },
      { name: 'erasure_delete_batch', config: ['search_path=pg_catalog, public'] },
      { name: 'erasure_finish', config: ['search_path=pg_catalog, public'] },
      // Aggregates for metrics and billing: counts, tokens and cost per tenant, no text.
      { name: 'feedback_rates', config: ['search_path=pg_catalog, public'] },
      // `note show <ref>`: whose note a reference is (tenant id and slug, nothing of the note).
      { name: 'note_owner', config: ['search_path=pg_catalog, public'] },
      // Retention (migration 0012): the only deletes of audit entries, enhancements and feedback
      // comments, by age above each function's floor, of the tenant the transaction is scoped to.
      { name: 'retention_clear_feedback_comments', config: ['search_path=pg_catalog, public'] },
      { name: 'retention_remove_audit', config: ['search_path=pg_catalog, public'] },
      { name: 'retention_remove_enhancements', config: ['search_path=pg_catalog, public'] },
      { name: 'tenant_directory', config: ['search_path=pg_catalog, public'] },
      { name: 'tenant_usage', config: ['search_path=pg_catalog, public'] },
      // A connection's webhook authentication by slug (encrypted secrets).
      { name: 'webhook_connection', config: ['search_path=pg_catalog, public'] },
      { name: 'webhook_tenant', config: ['search_path=pg_catalog, public'] },
    ]);
  });

  it('is refused when it tries to weaken the protection itself', async () => {
    const attempts = [
      'alter table tenants no force row level security',
      'alter table ticket_history disable row level security',
      'drop policy ticket_history_select on ticket_history',
      'drop table audit_log',
      'create table sneaky (tenant_id uuid)',
      'truncate ticket_history',
      'set role postgres',
    ];
    const outcomes: string[] = [];
    for (const statement of attempts) {
      outcomes.push(
        await app.query(statement).then(
          () => `${statement}: ALLOWED`,
          (error: Error) => `${statement}: ${error.message.replace(/ [a-z_]+$/, '')}`,
        ),
      );
    }
    expect(outcomes).toEqual([
      'alter table tenants no force row level security: must be owner of table',
      'alter table ticket_history disable row level security: must be owner of table',
      'drop policy ticket_history_select on ticket_history: must be owner of relation',
      'drop table audit_log: must be owner of table',
      'create table sneaky (tenant_id uuid): permission denied for schema',
      'truncate ticket_history: permission denied for table',
      'set role postgres: permission denied to set role "postgres"',
    ]);
  });
});
