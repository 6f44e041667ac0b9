import type pg from 'pg';
import { createDatabase, type Database } from './client.js';

export interface RolePrivileges {
  role: string;
  superuser: boolean;
  bypassRls: boolean;
  ownsTenantTables: boolean;
}

/**
 * What the connected role could do beyond row-level security. The API and worker refuse to run
 * (in production) or warn (elsewhere) when any of these is true: RLS would not protect tenants.
 */
export async function inspectRole(pool: pg.Pool): Promise<RolePrivileges> {
  const { rows } = await pool.query<RolePrivileges>(
    `select r.rolname as role, r.rolsuper as superuser, r.rolbypassrls as "bypassRls",
            exists (select 1 from pg_class c join pg_namespace n on n.oid = c.relnamespace
                    where n.nspname = 'public' and c.relname in ('tenants', 'enhancements', 'ticket_history', 'audit_log')
                      and pg_has_role(current_user, c.relowner, 'USAGE')) as "ownsTenantTables"
       from pg_roles r where r.rolname = current_user`,
  );
  const row = rows[0];
  if (!row) throw new Error('Could not read the privileges of the database role');
  return row;
}

export function privilegeProblems(p: RolePrivileges): string[] {
  const problems: string[] = [];
  if (p.superuser) problems.push(`role ${p.role} is a superuser`);
  if (p.bypassRls) problems.push(`role ${p.role} has BYPASSRLS`);
  if (p.ownsTenantTables) problems.push(`role ${p.role} owns the tenant tables`);
  return problems;
}

/**
 * Row-level security protects nothing from a superuser, a BYPASSRLS role or the tables' owner.
 * Refuses to start in production; warns elsewhere (a developer may point at a local superuser).
 */
export async function assertRoleCannotBypassRls(
  pool: pg.Pool,
  options: { production: boolean; warn: (message: string) => void },
): Promise<void> {
  const problems = privilegeProblems(await inspectRole(pool));
  if (problems.length === 0) return;
  const message = `DATABASE_URL must connect as the application role: ${problems.join('; ')}`;
  if (options.production) throw new Error(message);
  options.warn(`${message} (allowed outside production only)`);
}

/**
 * The API's and worker's database: a pool that refuses (in production) or warns about a role that
 * could bypass row-level security. The pool is closed again when the check refuses.
 */
export async function openServiceDatabase(options: {
  url: string;
  max: number;
  applicationName: string;
  production: boolean;
  logger: { warn(obj: unknown, msg?: string): void };
}): Promise<Database> {
  const { logger } = options;
  const database = createDatabase({
    url: options.url,
    max: options.max,
    applicationName: options.applicationName,
    onError: (error) => logger.warn({ err: error }, 'idle Postgres connection lost'),
  });
  await assertRoleCannotBypassRls(database.pool, {
    production: options.production,
    warn: (m) => logger.warn(m),
  }).catch(async (error: unknown) => {
    await database.close();
    throw error;
  });
  return database;
}
