import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, LOCAL_APP_ROLE, type TestDatabase } from '@ai-agents/sandbox';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS_FOLDER } from '../src/index.js';

// Upgrading a live installation: the tenant-admin-functions migration recreates webhook_tenant().
// Running API instances must never find themselves without EXECUTE on it, so the migration itself (not
// only the later ensureAppRole step) has to carry the grant over.

let testDb: TestDatabase;
let older: string;

/**
 * The migrations folder as it was before token mode and the tenant admin functions (found by tag, so
 * renumbering is fine).
 */
function folderBeforeTokenMode(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ai-agents-migrations-'));
  cpSync(MIGRATIONS_FOLDER, dir, { recursive: true });
  const journalPath = join(dir, 'meta', '_journal.json');
  const journal = JSON.parse(readFileSync(journalPath, 'utf8'));
  const first = journal.entries.findIndex((e: { tag: string }) =>
    e.tag.endsWith('_tenant_webhook_token_mode'),
  );
  journal.entries = journal.entries.slice(0, first);
  writeFileSync(journalPath, JSON.stringify(journal));
  return dir;
}

beforeAll(async () => {
  // createTestDatabase applies everything; this test needs an empty database of its own.
  testDb = await createTestDatabase('aiagents_upgrade');
  older = folderBeforeTokenMode();
});

afterAll(async () => {
  rmSync(older, { recursive: true, force: true });
  await testDb?.drop();
});

describe('upgrading from the walking skeleton schema', () => {
  it('keeps the application role able to authenticate webhooks across the migration', async () => {
    const client = new pg.Client({ connectionString: testDb.ownerUrl });
    await client.connect();
    try {
      await client.query('drop schema public cascade; create schema public; drop schema drizzle cascade');
      const db = drizzle({ client });
      await migrate(db, { migrationsFolder: older });
      await client.query(`grant execute on function webhook_tenant(text) to ${LOCAL_APP_ROLE}`);
      await migrate(db, { migrationsFolder: MIGRATIONS_FOLDER });
      const { rows } = await client.query(
        `select has_function_privilege($1, 'webhook_tenant(text)', 'EXECUTE') as app,
                has_function_privilege('public', 'webhook_tenant(text)', 'EXECUTE') as everyone,
                (select count(*)::int from drizzle.__drizzle_migrations) as applied`,
        [LOCAL_APP_ROLE],
      );
      const all = JSON.parse(readFileSync(join(MIGRATIONS_FOLDER, 'meta', '_journal.json'), 'utf8'));
      expect(rows[0]).toEqual({ app: true, everyone: false, applied: all.entries.length });
    } finally {
      await client.end();
    }
  });
});
