import { randomBytes } from 'node:crypto';
import { createTestDatabase, type TestDatabase, testTenant } from '@ai-agents/sandbox';
import { createSecretBox } from '@ai-agents/shared';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addHistory,
  createDatabase,
  type Database,
  findAssets,
  loadImportCursor,
  saveImportCursor,
  upsertInventory,
  withTenant,
} from '../src/index.js';

const TABLES = [
  'history_import_cursors',
  'system_inventory',
  'ticket_history_stats',
  'ticket_term_stats',
  'ticket_terms',
];
const box = createSecretBox(randomBytes(32).toString('base64'));
let testDb: TestDatabase;
let database: Database;
let tenantA: string;
let tenantB: string;

const tenant = (slug: string) => testTenant(database.db, box, { slug }).then((t) => t.tenant.id);

beforeAll(async () => {
  testDb = await createTestDatabase();
  database = createDatabase({ url: testDb.appUrl, max: 1 });
  tenantA = await tenant('ctx-a');
  tenantB = await tenant('ctx-b');
  await withTenant(database.db, tenantA, async (tx) => {
    await addHistory({ db: database.db, tenantId: tenantA, tx }, [
      { externalId: 'A1', subject: 'Server fs01 is down' },
    ]);
    const scope = { db: database.db, tenantId: tenantA, tx };
    await upsertInventory(scope, [{ hostname: 'fs01', ipAddress: '10.0.0.1' }]);
    await saveImportCursor(scope, { since: '', nextStartIndex: 101, imported: 100, completed: false });
  });
});

afterAll(async () => {
  await database?.close();
  await testDb?.drop();
});

describe('context tables: tenant isolation', () => {
  it('have row-level security enabled and forced, with select/insert/update/delete policies', async () => {
    const owner = new pg.Client({ connectionString: testDb.ownerUrl });
    await owner.connect();
    try {
      const { rows } = await owner.query<{ relname: string; rls: boolean; force: boolean; policies: number }>(
        `select c.relname, c.relrowsecurity as rls, c.relforcerowsecurity as force,
                (select count(*)::int from pg_policy p where p.polrelid = c.oid) as policies
           from pg_class c where c.relname = any($1) order by c.relname`,
        [TABLES],
      );
      expect(rows).toEqual(TABLES.map((relname) => ({ relname, rls: true, force: true, policies: 4 })));
    } finally {
      await owner.end();
    }
  });

  it("shows a tenant none of another tenant's index, inventory or import cursor", async () => {
    const seen = await withTenant(database.db, tenantB, async (tx) => ({
      assets: await findAssets(
        { db: database.db, tenantId: tenantB, tx },
        { ips: ['10.0.0.1'], names: ['fs01'] },
        { limit: 5 },
      ),
      // Naming tenant A's id inside tenant B's transaction: row-level security still answers for B.
      cursor: await loadImportCursor({ db: database.db, tenantId: tenantA, tx }),
      terms: (await tx.execute('select count(*)::int as n from ticket_terms')).rows[0],
    }));
    expect(seen).toEqual({ assets: [], cursor: null, terms: { n: 0 } });
    const own = await loadImportCursor({ db: database.db, tenantId: tenantA });
    expect(own).toEqual({ since: '', nextStartIndex: 101, imported: 100, completed: false });
  });

  it('refuses index rows written for another tenant', async () => {
    await expect(
      withTenant(database.db, tenantB, (tx) =>
        tx.execute(`insert into ticket_term_stats (tenant_id, term, df) values ('${tenantA}', 'x', 1)`),
      ),
    ).rejects.toThrow();
  });
});
