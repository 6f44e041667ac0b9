import { randomUUID } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  LOCAL_APP_PASSWORD,
  LOCAL_APP_ROLE,
  TEST_ADMIN_DATABASE_URL,
  withDatabase,
} from '@ai-agents/sandbox';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropDatabase, ensureDatabase, MIGRATIONS_FOLDER, runMigrations } from '../src/index.js';

// Migrations were renamed for what they do. drizzle's migrator (drizzle-orm/pg-core/dialect.js,
// migrate()) reads the journal, records sha256(file text) and the journal's `when` per migration, and
// applies those whose `when` is later than the newest recorded one: the file name and the journal's
// `tag` are only used to find the file. So a database migrated under the old names must find nothing
// to apply under the new ones; this test keeps that true across drizzle upgrades.
const RENAMED: Record<string, string> = {
  '0002_tenant_webhook_token_mode': '0002_issue3_webhook_token_mode',
  '0003_tenant_admin_functions': '0003_issue3_tenant_admin_functions',
  '0004_llm_settings_costs_and_feedback': '0004_issue6_llm_cost_feedback',
  '0005_feedback_rls_and_usage_reports': '0005_issue6_feedback_rls_usage',
  '0006_skipped_status_alert_storms_rate_limit': '0006_issue5_reliability',
  '0007_context_tables': '0007_issue6_context_tables',
  '0008_ticket_index_triggers_and_rls': '0008_issue6_retrieval_triggers_rls',
  '0009_claim_and_storm_functions': '0009_perf_worker_claim_functions',
};

interface Journal {
  entries: { tag: string; when: number }[];
}

const journal = (folder: string): Journal =>
  JSON.parse(readFileSync(join(folder, 'meta', '_journal.json'), 'utf8')) as Journal;

/** The migrations folder as it was before the rename: same files, same journal, the old names. */
function folderWithOldNames(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ai-agents-migration-names-'));
  cpSync(MIGRATIONS_FOLDER, dir, { recursive: true });
  const old = journal(dir);
  for (const entry of old.entries) {
    const before = RENAMED[entry.tag];
    if (!before) continue;
    renameSync(join(dir, `${entry.tag}.sql`), join(dir, `${before}.sql`));
    entry.tag = before;
  }
  writeFileSync(join(dir, 'meta', '_journal.json'), JSON.stringify(old));
  return dir;
}

const name = `aiagents_names_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
const url = withDatabase(TEST_ADMIN_DATABASE_URL, name);
let oldFolder: string;

beforeAll(async () => {
  await ensureDatabase(TEST_ADMIN_DATABASE_URL, name);
  oldFolder = folderWithOldNames();
});

afterAll(async () => {
  rmSync(oldFolder, { recursive: true, force: true });
  await dropDatabase(TEST_ADMIN_DATABASE_URL, name);
});

describe('migration names', () => {
  it('name what they do, not a tracker number', () => {
    const tags = journal(MIGRATIONS_FOLDER).entries.map((e) => e.tag);
    expect(tags.filter((tag) => /issue_?\d/i.test(tag))).toEqual([]);
    for (const renamed of Object.keys(RENAMED)) expect(tags).toContain(renamed);
  });

  it('a database migrated under the old names applies nothing again under the new ones', async () => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await migrate(drizzle({ client }), { migrationsFolder: oldFolder });
      const recorded = () =>
        client
          .query('select id, hash, created_at from drizzle.__drizzle_migrations order by id')
          .then((r) => r.rows);
      const before = await recorded();
      expect(before).toHaveLength(journal(MIGRATIONS_FOLDER).entries.length);

      const result = await runMigrations({
        databaseUrl: url,
        appRole: LOCAL_APP_ROLE,
        appPassword: LOCAL_APP_PASSWORD,
      });
      expect(result).toEqual({ applied: 0 });
      expect(await recorded()).toEqual(before);
    } finally {
      await client.end();
    }
  });
});
