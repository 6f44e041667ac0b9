import type { Db } from '../client.js';
import { sql } from '../orm.js';

/*
 * Whether the database offers pgvector (the `vector` extension), asked once at the worker's start-up
 * with the query of the PostgreSQL manual's pg_available_extensions view: `absent` (not built for
 * this server: Debian bookworm's PostgreSQL 15 has no pgvector package), `available` (the files are
 * there, CREATE EXTENSION was not run), `installed`. Retrieval scans the tenant's vectors in the
 * worker in every case today; the pgvector store and HNSW search are not built (docs/context.md).
 */

export type VectorExtension = 'absent' | 'available' | 'installed';

export async function vectorExtension(db: Db): Promise<VectorExtension> {
  const result = await db.execute<{ installed_version: string | null }>(
    sql`select installed_version from pg_available_extensions where name = 'vector'`,
  );
  const row = result.rows[0];
  if (!row) return 'absent';
  return row.installed_version ? 'installed' : 'available';
}
