import type { DbOrTx } from '../client.js';
import { sql } from '../orm.js';

/**
 * Every tenant-scoped table, found from the schema at run time: each table of `public` with a
 * `tenant_id` column (the tenants table itself has `id`, and is not in the list). Tables added later
 * (by a migration of any feature) are covered without an edit here; the erasure test fails when one
 * is not. Ordered for deleting: a table whose foreign key points at another tenant table comes
 * before it (feedback before enhancements), so no delete waits on or cascades into another table.
 * Read from pg_catalog, which every role may read (information_schema shows only tables the role
 * has a privilege on).
 */
export async function findTenantTables(db: DbOrTx): Promise<string[]> {
  const tables = await db.execute<{ name: string }>(sql`
    select c.relname::text as name
      from pg_attribute a
      join pg_class c on c.oid = a.attrelid
      join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = 'public' and c.relkind in ('r', 'p') and not c.relispartition
       and a.attname = 'tenant_id' and not a.attisdropped
     order by 1`);
  const references = await db.execute<{ child: string; parent: string }>(sql`
    select child.relname::text as child, parent.relname::text as parent
      from pg_constraint f
      join pg_class child on child.oid = f.conrelid
      join pg_class parent on parent.oid = f.confrelid
      join pg_namespace n on n.oid = child.relnamespace
     where f.contype = 'f' and n.nspname = 'public' and child.oid <> parent.oid`);
  return childrenFirst(
    tables.rows.map((t) => t.name),
    references.rows,
  );
}

/** Orders `tables` so each comes before every table it references (a depth-first topological sort). */
export function childrenFirst(tables: string[], references: { child: string; parent: string }[]): string[] {
  const referencedBy = new Map<string, string[]>(tables.map((t) => [t, []]));
  for (const { child, parent } of references) {
    if (referencedBy.has(child)) referencedBy.get(parent)?.push(child);
  }
  const ordered: string[] = [];
  const placed = new Set<string>();
  const place = (table: string, path: Set<string>) => {
    if (placed.has(table) || path.has(table)) return; // a cycle: its deletes are ordered arbitrarily
    path.add(table);
    for (const child of referencedBy.get(table) ?? []) place(child, path);
    path.delete(table);
    placed.add(table);
    ordered.push(table);
  };
  for (const table of tables) place(table, new Set());
  return ordered;
}
