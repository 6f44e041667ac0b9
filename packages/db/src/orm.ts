import { createRequire } from 'node:module';

/**
 * drizzle-orm, loaded through its CommonJS build: every module of this repository takes drizzle from
 * here, never from 'drizzle-orm' itself (orm.test.ts checks it).
 *
 * Why: for each `.js` file it loads, Node 24's ES module loader looks up the file's package scope
 * to learn its format (`getFileProtocolModuleFormat` → `getPackageScopeConfig` in
 * lib/internal/modules/package_json_reader.js), and copies the package.json it found with an object
 * spread, which runs the lazy getter that `JSON.parse`s its `exports`. drizzle-orm's package.json
 * exports 447 paths (178 kB of JSON), and the ~120 files of drizzle-orm, pg-core and node-postgres
 * each parse it again: importing them as ES modules left 150 MB of garbage on the heap and peaked
 * at 291 MB resident, against 67 MB for the same modules through `require` (Node 24.22, 24 GiB
 * machine; `node -e` importing the three, `process.resourceUsage().maxRSS`). Every process that
 * loads the database layer (API, worker, admin CLI) paid it: the admin CLI's idle peak was 250 MB.
 * The CommonJS loader resolves `.cjs` files by their extension and reads no package scope.
 *
 * Both builds are the same code; drizzle recognises its own objects across copies (`is()` compares
 * the `entityKind` registered symbol), so a test that imports drizzle-orm directly still works.
 */
const require = createRequire(import.meta.url);
const core: typeof import('drizzle-orm') = require('drizzle-orm');
const pgCore: typeof import('drizzle-orm/pg-core') = require('drizzle-orm/pg-core');
const nodePostgres: typeof import('drizzle-orm/node-postgres') = require('drizzle-orm/node-postgres');
const migrator: typeof import('drizzle-orm/node-postgres/migrator') = require('drizzle-orm/node-postgres/migrator');

export const { and, asc, desc, eq, getTableColumns, gt, gte, inArray, lt, sql } = core;
export const {
  bigint,
  bigserial,
  boolean,
  check,
  customType,
  index,
  integer,
  jsonb,
  numeric,
  pgTable,
  primaryKey,
  real,
  text,
  timestamp,
  unique,
  uuid,
} = pgCore;
export const { drizzle, NodePgSession, NodePgTransaction } = nodePostgres;
export const { migrate } = migrator;
export type { SQL } from 'drizzle-orm';
export type { NodePgDatabase } from 'drizzle-orm/node-postgres';
export type { AnyPgColumn, PgDialect } from 'drizzle-orm/pg-core';
