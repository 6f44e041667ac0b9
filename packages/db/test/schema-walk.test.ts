import { createTestDatabase, LOCAL_APP_ROLE, type TestDatabase } from '@ai-agents/sandbox';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Walks the migrated schema and fails for any table holding tenant data (a tenant_id column, or
// `tenants` itself) that is not protected: RLS not ENABLEd and FORCEd, or a command among
// SELECT/INSERT/UPDATE/DELETE without a policy on current_tenant_id() for the application role.
// A table added by a future migration is covered without editing this test.

let testDb: TestDatabase;
let owner: pg.Client;

const COMMANDS = ['SELECT', 'INSERT', 'UPDATE', 'DELETE'] as const;

async function tenantTables(client: pg.Client): Promise<string[]> {
  const { rows } = await client.query<{ table: string }>(
    `select distinct c.table_schema || '.' || c.table_name as table
       from information_schema.columns c
       join information_schema.tables t using (table_schema, table_name)
      where t.table_type = 'BASE TABLE'
        and c.table_schema not in ('pg_catalog', 'information_schema')
        and (c.column_name = 'tenant_id' or (c.table_schema = 'public' and c.table_name = 'tenants'))
      order by 1`,
  );
  return rows.map((r) => r.table);
}

/** Every way a tenant table falls short, as readable lines; empty when all are protected. */
async function protectionProblems(client: pg.Client, appRole: string): Promise<string[]> {
  const problems: string[] = [];
  for (const table of await tenantTables(client)) {
    const [schema, name] = table.split('.') as [string, string];
    const { rows: flags } = await client.query<{ enabled: boolean; forced: boolean }>(
      `select relrowsecurity as enabled, relforcerowsecurity as forced from pg_class c
         join pg_namespace n on n.oid = c.relnamespace where n.nspname = $1 and c.relname = $2`,
      [schema, name],
    );
    if (!flags[0]?.enabled) problems.push(`${table}: row-level security is not enabled`);
    if (!flags[0]?.forced) problems.push(`${table}: row-level security is not forced`);

    // Policies that apply to the application role (directly or through PUBLIC).
    const { rows: policies } = await client.query<{
      policyname: string;
      cmd: string;
      permissive: string;
      qual: string | null;
      with_check: string | null;
    }>(
      `select policyname, cmd, permissive, qual, with_check from pg_policies
        where schemaname = $1 and tablename = $2 and (roles @> array['public']::name[] or roles @> array[$3]::name[])`,
      [schema, name, appRole],
    );
    for (const policy of policies) {
      const clauses = [policy.qual, policy.with_check].filter((c): c is string => c !== null);
      if (policy.permissive === 'PERMISSIVE' && !clauses.every((c) => c.includes('current_tenant_id()'))) {
        problems.push(`${table}: policy ${policy.policyname} does not filter on current_tenant_id()`);
      }
    }
    for (const command of COMMANDS) {
      const covering = policies.filter((p) => p.cmd === command || p.cmd === 'ALL');
      const needsUsing = command !== 'INSERT';
      const needsCheck = command === 'INSERT' || command === 'UPDATE';
      const ok = covering.some(
        (p) =>
          (!needsUsing || p.qual?.includes('current_tenant_id()')) &&
          (!needsCheck || (p.with_check ?? p.qual)?.includes('current_tenant_id()')),
      );
      if (!ok) problems.push(`${table}: no ${command} policy on current_tenant_id()`);
    }
  }
  return problems;
}

beforeAll(async () => {
  testDb = await createTestDatabase();
  owner = new pg.Client({ connectionString: testDb.ownerUrl });
  await owner.connect();
});

afterAll(async () => {
  await owner?.end();
  await testDb?.drop();
});

describe('schema walk: every table holding tenant data is protected', () => {
  it('finds the tenant tables of the schema', async () => {
    expect(await tenantTables(owner)).toEqual([
      'public.audit_log',
      'public.embedding_models',
      'public.embedding_usage',
      'public.enhancements',
      'public.feedback',
      'public.history_import_cursors',
      'public.llm_exchanges',
      'public.reconcile_cursors',
      'public.system_inventory',
      'public.tenants',
      'public.ticket_history',
      'public.ticket_history_stats',
      'public.ticket_term_stats',
      'public.ticket_terms',
      'public.ticket_vectors',
    ]);
  });

  it('each has RLS enabled and forced, and a tenant policy for every command', async () => {
    expect(await protectionProblems(owner, LOCAL_APP_ROLE)).toEqual([]);
  });

  it('would catch a new table added without protection, or with a half-done one', async () => {
    await owner.query('create table notes_sketch (id int primary key, tenant_id uuid not null)');
    await owner.query('create table half_done (id int primary key, tenant_id uuid not null)');
    await owner.query('alter table half_done enable row level security');
    await owner.query(
      'create policy half_done_select on half_done for select using (tenant_id = current_tenant_id())',
    );
    await owner.query('create policy half_done_all on half_done for update using (true)');
    try {
      expect(await protectionProblems(owner, LOCAL_APP_ROLE)).toEqual([
        'public.half_done: row-level security is not forced',
        'public.half_done: policy half_done_all does not filter on current_tenant_id()',
        'public.half_done: no INSERT policy on current_tenant_id()',
        'public.half_done: no UPDATE policy on current_tenant_id()',
        'public.half_done: no DELETE policy on current_tenant_id()',
        'public.notes_sketch: row-level security is not enabled',
        'public.notes_sketch: row-level security is not forced',
        'public.notes_sketch: no SELECT policy on current_tenant_id()',
        'public.notes_sketch: no INSERT policy on current_tenant_id()',
        'public.notes_sketch: no UPDATE policy on current_tenant_id()',
        'public.notes_sketch: no DELETE policy on current_tenant_id()',
      ]);
    } finally {
      await owner.query('drop table notes_sketch, half_done');
    }
  });
});
