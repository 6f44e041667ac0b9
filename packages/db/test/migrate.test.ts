import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  LOCAL_APP_PASSWORD,
  LOCAL_APP_ROLE,
  TEST_ADMIN_DATABASE_URL,
  withDatabase,
} from '@ai-agents/sandbox';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropDatabase, ensureDatabase, MIGRATIONS_FOLDER, runMigrations } from '../src/index.js';

// Every migration in the journal, so branches that add migrations do not edit this test.
const MIGRATIONS = (
  JSON.parse(readFileSync(join(MIGRATIONS_FOLDER, 'meta', '_journal.json'), 'utf8')) as { entries: unknown[] }
).entries.length;

const name = `aiagents_migrate_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
const url = withDatabase(TEST_ADMIN_DATABASE_URL, name);
const options = { databaseUrl: url, appRole: LOCAL_APP_ROLE, appPassword: LOCAL_APP_PASSWORD };

async function query<T extends pg.QueryResultRow>(text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}

beforeAll(() => ensureDatabase(TEST_ADMIN_DATABASE_URL, name));

afterAll(async () => {
  await dropDatabase(TEST_ADMIN_DATABASE_URL, name);
});

describe('migrations', () => {
  it('two runners started at once both succeed and apply each migration once', async () => {
    const results = await Promise.all([runMigrations(options), runMigrations(options)]);
    expect(results.map((r) => r.applied).sort()).toEqual([0, MIGRATIONS]);
    const [{ n }] = (await query<{ n: number }>(
      'select count(*)::int as n from drizzle.__drizzle_migrations',
    )) as [{ n: number }];
    expect(n).toBe(MIGRATIONS);
  });

  it('running again changes nothing', async () => {
    const snapshot = () =>
      query(`select c.relname, c.relrowsecurity, c.relforcerowsecurity, c.relacl::text
               from pg_class c join pg_namespace n on n.oid = c.relnamespace
              where n.nspname = 'public' order by c.relname`);
    const before = await snapshot();
    expect(await runMigrations(options)).toEqual({ applied: 0 });
    expect(await snapshot()).toEqual(before);
  });

  it('every tenant table has ENABLE and FORCE row-level security', async () => {
    const rows = await query<{ relname: string; enabled: boolean; forced: boolean }>(
      `select relname, relrowsecurity as enabled, relforcerowsecurity as forced from pg_class
        where relname in ('tenants', 'enhancements', 'ticket_history', 'audit_log', 'feedback') order by relname`,
    );
    expect(rows).toEqual(
      ['audit_log', 'enhancements', 'feedback', 'tenants', 'ticket_history'].map((relname) => ({
        relname,
        enabled: true,
        forced: true,
      })),
    );
  });

  it('the application role is not superuser, not BYPASSRLS and owns nothing', async () => {
    const [role] = await query<Record<string, boolean>>(
      `select rolsuper, rolbypassrls, rolcreaterole, rolcreatedb, rolcanlogin,
              exists (select 1 from pg_class where relowner = r.oid) as owns
         from pg_roles r where rolname = '${LOCAL_APP_ROLE}'`,
    );
    expect(role).toEqual({
      rolsuper: false,
      rolbypassrls: false,
      rolcreaterole: false,
      rolcreatedb: false,
      rolcanlogin: true,
      owns: false,
    });
  });

  it('the migrate command applies the schema and exits 0', () => {
    const result = spawnSync(process.execPath, ['apps/migrate/dist/main.js'], {
      env: { PATH: process.env.PATH, DATABASE_URL: url, APP_DB_PASSWORD: LOCAL_APP_PASSWORD },
      encoding: 'utf8',
    });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('schema is up to date');
  });

  it('the migrate command exits non-zero with a clear message when the database is unreachable', () => {
    // `npm test` builds first, so the entry point the migrate image runs is there.
    const result = spawnSync(process.execPath, ['apps/migrate/dist/main.js'], {
      env: { PATH: process.env.PATH, DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none', LOG_LEVEL: 'error' },
      encoding: 'utf8',
    });
    expect(result.status).toBe(1);
    expect(result.stdout + result.stderr).toMatch(/migration failed: connect ECONNREFUSED/);
  });
});
