import { createDatabase, type Database, vectorExtension } from '@ai-agents/db';
import { createTestDatabase, type TestDatabase } from '@ai-agents/sandbox';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The start-up check of pgvector, as the application role (not the owner), against the catalog.

let testDb: TestDatabase;
let database: Database;

beforeAll(async () => {
  testDb = await createTestDatabase();
  database = createDatabase({ url: testDb.appUrl, max: 1 });
});

afterAll(async () => {
  await database?.close();
  await testDb?.drop();
});

describe('the vector extension check', () => {
  it('tells absent, available and installed apart as the catalog does, read by the application role', async () => {
    const owner = new pg.Client({ connectionString: testDb.ownerUrl });
    await owner.connect();
    try {
      const { rows } = await owner.query<{ installed_version: string | null }>(
        `select installed_version from pg_available_extensions where name = 'vector'`,
      );
      const expected = rows.length === 0 ? 'absent' : rows[0]?.installed_version ? 'installed' : 'available';
      expect(await vectorExtension(database.db)).toBe(expected);
    } finally {
      await owner.end();
    }
  });
});
