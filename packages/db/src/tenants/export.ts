import type { Tx } from '../client.js';
import { sql } from '../orm.js';
import { inTenant, type TenantScope } from '../with-tenant.js';
import { findTenantTables } from './tenant-tables.js';

/** Version of the export's line format (docs/tenant-export.md); raised when a line changes meaning. */
export const EXPORT_FORMAT = 1;

/**
 * The retrieval index: rebuilt from ticket_history by its triggers, so it is not the client's data
 * and is left out (for 250,000 tickets it is about 12 million rows of word counts).
 */
export const DERIVED_TABLES: readonly string[] = [
  'ticket_terms',
  'ticket_term_stats',
  'ticket_history_stats',
  // Vectors and the fitted model are computed from the history (refitted from it after an import).
  'ticket_vectors',
  'embedding_models',
];

/**
 * Rows fetched per round trip from the cursor. 250 history tickets (subject, description and
 * resolution: a few kB each) are about 1 MB, whatever the tenant's size.
 */
const FETCH_ROWS = 250;

/** A column that holds a secret: every encrypted column is named `*_enc` (tenants' credentials, webhook secrets). */
const SECRET_COLUMN = /_enc$/;

export interface ExportCounts {
  [kind: string]: number;
}

/**
 * Writes the tenant's data as JSON Lines through `write` (one line with its newline; it should wait
 * for the file to drain):
 * first `{"kind":"export",…}`, then `{"kind":"tenant","record":{…}}` (its settings, without a
 * secret), then one `{"kind":"<table>","record":{…}}` per row of every tenant table found from the
 * schema (findTenantTables) but the derived ones. Every `*_enc` column is left out, generated columns
 * (derived) and `tenant_id` too (it is the tenant's). Each table is read through a server-side cursor, FETCH_ROWS at a time,
 * in one transaction under the tenant's row-level security (the admin CLI's application role), so
 * memory stays bounded. Postgres writes each whole line (to_jsonb and its framing), which is written
 * as is: one string a row and no copy of a page, so the export's garbage is mostly short-lived
 * (joining a page into one string put 250 kB a page in V8's old generation: 316 MB peak against 278).
 */
export async function exportTenant(
  scope: TenantScope,
  header: Record<string, unknown>,
  write: (line: string) => Promise<void>,
): Promise<ExportCounts> {
  const tables = (await findTenantTables(scope.db)).filter((t) => !DERIVED_TABLES.includes(t)).sort();
  await write(
    `${JSON.stringify({ kind: 'export', format: EXPORT_FORMAT, ...header, kinds: ['tenant', ...tables] })}\n`,
  );
  return inTenant(scope, 'transaction', async (tx) => {
    const counts: ExportCounts = {};
    counts.tenant = await streamTable(tx, 'tenants', 'tenant', write);
    for (const table of tables) counts[table] = await streamTable(tx, table, table, write);
    return counts;
  });
}

/** One table through a cursor; returns the rows written. */
async function streamTable(
  tx: Tx,
  table: string,
  kind: string,
  write: (line: string) => Promise<void>,
): Promise<number> {
  const omitted = [...(await omittedColumns(tx, table)), 'tenant_id'].map((c) => sql.raw(` - ${literal(c)}`));
  // DECLARE takes no parameters: the table and column names come from pg_catalog and are quoted.
  const opening = sql.raw(literal(`{"kind":${JSON.stringify(kind)},"record":`));
  await tx.execute(sql`declare tenant_export no scroll cursor for
    select ${opening} || (to_jsonb(t)${sql.join(omitted)})::text || '}' || chr(10) as line
      from ${sql.identifier(table)} t`);
  let rows = 0;
  for (;;) {
    const page = await tx.execute<{ line: string }>(sql.raw(`fetch ${FETCH_ROWS} from tenant_export`));
    for (const { line } of page.rows) await write(line);
    rows += page.rows.length;
    if (page.rows.length < FETCH_ROWS) break;
  }
  await tx.execute(sql`close tenant_export`);
  return rows;
}

/** Secret columns, and generated ones (ticket_history's search vector: derived from the text beside it). */
async function omittedColumns(tx: Tx, table: string): Promise<string[]> {
  const columns = await tx.execute<{ name: string; generated: boolean }>(sql`
    select a.attname::text as name, a.attgenerated <> '' as generated from pg_attribute a
     where a.attrelid = to_regclass(format('public.%I', ${table}::text)) and a.attnum > 0 and not a.attisdropped`);
  return columns.rows.filter((c) => c.generated || SECRET_COLUMN.test(c.name)).map((c) => c.name);
}

/** A catalog name as an SQL string literal. */
function literal(name: string): string {
  return `'${name.replaceAll("'", "''")}'`;
}
